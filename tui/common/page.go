package common

import (
	"strconv"

	"github.com/charmbracelet/bubbles/help"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/sesbox/sesbox/mailstore"
)

// Kind names a page: each component package that is a page declares its
// own (compose.Kind = "compose"), so the root routes without a list of them.
type Kind string

// MailboxKind names the page of mailbox i of the switcher (tui/tab); the
// messages that say what happened to a mailbox's mail are addressed to it.
func MailboxKind(i int) Kind { return Kind("mailbox/" + strconv.Itoa(i)) }

// ViewerKind names the one message viewer (tui/viewer).
const ViewerKind Kind = "viewer"

// Page is one screen of the root: the root sizes it, hands it the keys it
// does not keep, draws it under the mailbox switcher and builds the help
// from its KeyMap. A page is a pointer the root owns; Update may change it
// in place and returns it (or the page that replaces it).
type Page interface {
	help.KeyMap
	Update(msg tea.Msg) (Page, tea.Cmd)
	View() string
	SetSize(w, h int)
	// Capturing reports whether a prompt or an editor has the keyboard:
	// every key but ctrl+c goes to the page then.
	Capturing() bool
	// Title names the page in the help and on the status line.
	Title() string
}

// HelpSection is a table of text under a title on the help page (the `:`
// commands, the query syntax): a line too long wraps, continuing under
// column Hang.
type HelpSection struct {
	Title string
	Body  string
	Hang  int
}

// Helper is a page with more to say in the help than its keys.
type Helper interface {
	HelpSections() []HelpSection
}

// Addressed is a result that names the page it answers. The root hands it
// to that page wherever it is (shown, under the help, or kept in the
// background), and drops it when no such page is open.
type Addressed interface {
	PageKind() Kind
}

// Orphan is an Addressed result that must be told when its page is gone
// (a verify run that would otherwise go on unseen cancels itself).
type Orphan interface {
	Addressed
	Orphaned()
}

// ForActive is an Addressed result about the active mailbox's messages
// (a message read for the viewer): the root drops it when the user has
// switched to another mailbox since.
type ForActive interface {
	Addressed
	ActiveBox() int
}

// Backer is a page with its own use for the back keys (q, Esc): Back
// reports whether it used k (left a sub-view, cleared a filter), and what
// then runs; when it did not, the root closes the page.
type Backer interface {
	Back(k tea.KeyMsg) (bool, tea.Cmd)
}

// Resizer is a page with work to do off the UI loop when the terminal is
// resized (the viewer wrapping a big body again): the root calls Resize
// instead of SetSize and runs the Cmd.
type Resizer interface {
	Resize(w, h int) tea.Cmd
}

// AltKeys is a page whose text editor takes Alt keys whole while
// TakesAltKeys (the built-in editor, as aerc's embedded editor gets every
// key): the root does not read them as Esc then the key there, which
// finished editing and let the key act on the review (alt+s sent).
type AltKeys interface {
	TakesAltKeys() bool
}

// Modal is a page left only by its own keys: the root passes it the back
// key and keeps the overlays (help, errors) as its only global keys.
type Modal interface {
	Modal()
}

// Busy is a page that must not be cut off: Busy returns why the program
// cannot quit now and how to make it possible ("" when it can).
type Busy interface {
	Busy() string
}

// Keeper is a page that holds what the user typed and has not saved (the
// composer's built-in editor): the root asks it before the program quits.
// HoldQuit reports whether the page takes the quit over (it asks the user
// what to do with the text, or saves it first) and what then runs; a page
// that did sends QuitConfirmedMsg once the text is safe or the user chose
// to drop it, and the root quits then.
//
// KeepNow is for a quit nothing may hold (kill, a hangup): the I/O that
// keeps the text as it is, run in the quit's Cmd, or nil when nothing is
// unsaved.
type Keeper interface {
	HoldQuit() (bool, tea.Cmd)
	KeepNow() func() error
}

// QuitConfirmedMsg is sent when a page that held the quit (Keeper) is done
// with it: the program quits, saying Notice in the log.
type QuitConfirmedMsg struct {
	Notice string
}

// QuitConfirmed returns a Cmd sending QuitConfirmedMsg.
func QuitConfirmed(notice string) tea.Cmd {
	return func() tea.Msg { return QuitConfirmedMsg{Notice: notice} }
}

// Closer is a page that has asked to be closed (sent PageClosedMsg, or a
// result the root closes it on) and is waiting for it: keys typed
// meanwhile are for what will be shown under it, so the root holds them
// until then (p then :drafts, typed in one burst, postpones and opens the
// drafts page).
type Closer interface {
	Closing() bool
}

// Stopper is a page with work in the background: the root stops it when
// the page is replaced or the program quits.
type Stopper interface {
	Stop()
}

// Backgrounded is a page the root keeps when the user leaves it, so its
// work goes on: Status is what the status line shows for it meanwhile (""
// for nothing); SetHidden tells it whether it is out of sight.
type Backgrounded interface {
	Status() string
	SetHidden(hidden bool)
}

// PageClosedMsg is sent when a page is done: the root removes it, shows
// what was under it and puts Notice on the status line.
type PageClosedMsg struct {
	Kind   Kind
	Notice string
}

// Closed returns a Cmd sending PageClosedMsg.
func Closed(k Kind, notice string) tea.Cmd {
	return func() tea.Msg { return PageClosedMsg{Kind: k, Notice: notice} }
}

// ErrorPostedMsg is sent when a page's work failed in a way the status line
// and the error history (E) should show.
type ErrorPostedMsg struct {
	Err error
}

// Notice returns a Cmd sending NoticePostedMsg.
func Notice(text string) tea.Cmd {
	return func() tea.Msg { return NoticePostedMsg{Text: text} }
}

// Error returns a Cmd sending ErrorPostedMsg.
func Error(err error) tea.Cmd {
	return func() tea.Msg { return ErrorPostedMsg{Err: err} }
}

// TempDirCreatedMsg is sent when a page made a private directory (an
// attachment opened from it) that the program removes on exit.
type TempDirCreatedMsg struct {
	Dir string
}

// MarksSetMsg is sent when a page asks the list it was opened from to mark
// exactly Keys (the forward screen's failures, to forward them again); the
// status line then says how many were marked, and Why.
type MarksSetMsg struct {
	Keys []string
	Why  string
	// Then, when set, runs once the list has the marks in hand (it holds
	// typed keys until they are set): a page that closes after asking
	// for them, so a key typed after its close acts on them.
	Then tea.Cmd
}

// MessageShownMsg is sent when a page has read and shown message Key of
// mailbox Box (the switcher's index): the mailbox's list takes its exact
// attachment count from Summary, and marks it read if it was not.
type MessageShownMsg struct {
	Box     int
	Key     string
	Summary mailstore.Summary
}

// ReadChangedMsg is sent when the read flag of message Key of mailbox Box
// has been saved: the viewer shows it if it shows that message.
type ReadChangedMsg struct {
	Box  int
	Key  string
	Read bool
}

func (m MessageShownMsg) PageKind() Kind { return MailboxKind(m.Box) }
func (ReadChangedMsg) PageKind() Kind    { return ViewerKind }
func (m ReadChangedMsg) ActiveBox() int  { return m.Box }
