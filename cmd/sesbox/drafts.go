package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/sesbox/sesbox/mailstore/drafts"
	"github.com/sesbox/sesbox/mailstore/sanitize"
	"github.com/sesbox/sesbox/tui/common"
)

// draftJSON is one line of `sesbox drafts --json`.
type draftJSON struct {
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	Mailbox string    `json:"mailbox,omitempty"`
	Key     string    `json:"key,omitempty"` // the message replied to
	To      string    `json:"to"`
	Subject string    `json:"subject"`
	Path    string    `json:"path"` // the editable text
	// Damaged is why the draft's details (ID.json) cannot be read, for
	// a draft whose text is intact: it is listed, not sent.
	Damaged string `json:"damaged,omitempty"`
}

func newDraftsCmd(a *app) *cobra.Command {
	var asJSON bool
	var del string
	cmd := &cobra.Command{
		Use:   "drafts [--json] [--delete ID]",
		Short: "List the mailbox's kept reply drafts, as the TUI's :drafts does, or delete one",
		Long: `Lists the kept drafts of replies from the mailbox (postponed, or kept when they
could not be sent), newest first: the id, when the reply was begun, its To and
Subject. ` + "sesbox reply --draft ID" + ` sends one; --delete ID deletes one (the local
files only: nothing in a bucket). ID is the draft's id or its first characters.
Nothing is read from AWS.`,
		Example: `  sesbox drafts
  sesbox drafts --delete 20261204T1452`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			names, _, err := a.mailboxConfigs(false)
			if err != nil {
				return err
			}
			store, err := openDrafts()
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("delete") {
				d, err := store.Find(del)
				if dam := drafts.Damaged(err); len(dam) == 1 {
					d, err = dam[0], nil // deleting what cannot be sent is the user's to ask
				}
				if err != nil {
					return err
				}
				if err := store.Delete(d.ID); err != nil {
					return err
				}
				fmt.Fprintln(a.stdout, "deleted draft", d.ID)
				return nil
			}
			// A draft whose details are damaged is listed with its text's
			// To and Subject, marked: the error after the list says where
			// its words are.
			list, damaged, listErr := store.Kept(names[0])
			enc := jsonLines(a.stdout)
			text := textOut(a.stdout)
			for i, d := range append(list, damaged...) {
				to, subject := d.Heading()
				why := ""
				if i >= len(list) {
					why = "its details (" + d.ID + ".json) cannot be read"
				}
				if asJSON {
					if err := enc.Encode(draftJSON{ID: d.ID, Created: d.Meta.Created, Mailbox: d.Meta.Mailbox, Key: d.Meta.Key,
						To: to, Subject: subject, Path: d.Path(), Damaged: why}); err != nil {
						return err
					}
					continue
				}
				if subject == "" {
					subject = "(no subject)"
				}
				if why != "" {
					subject += "  [damaged: " + why + "]"
				}
				if _, err := fmt.Fprintf(text, "%s  %s  %s  %s\n", d.ID, d.Meta.Created.Local().Format("2006-01-02 15:04"),
					common.Fit(sanitize.Cell(to), 30), sanitize.Cell(subject)); err != nil {
					return err
				}
			}
			list = append(list, damaged...)
			if listErr != nil {
				// The drafts that could be read are listed; the others
				// are named, and the status says something is missing.
				printError(textOut(a.stderr), listErr)
				return exitError{1}
			}
			if len(list) == 0 && !asJSON {
				fmt.Fprintf(textOut(a.stderr), "sesbox: no kept drafts of mailbox %s\n", sanitize.Line(names[0]))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON Lines")
	cmd.Flags().StringVar(&del, "delete", "", "delete the kept draft `ID` (or the only one its first characters begin)")
	return cmd
}
