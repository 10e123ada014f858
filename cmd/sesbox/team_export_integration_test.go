//go:build integration

package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sesbox/sesbox/mailstore/actionlog"
	"github.com/sesbox/sesbox/mailstore/audit"
	"github.com/sesbox/sesbox/mailstore/testutil/peer"
)

// TestTeamExportLogged: with a team table, `sesbox export` appends to the
// shared action log as sends do. Two operators export from versitygw; a
// third machine with no local log verifies the shared chain (dynalite),
// `audit log --json` merges them (each operator's own export in both logs,
// the other's in the shared one only), the table holds no local path, and
// an edited export entry is named by --verify.
func TestTeamExportLogged(t *testing.T) {
	bin := buildSesbox(t)
	dir := t.TempDir()
	fwdPath, cfg := teamForwarder(t, dir)
	s3srv, keys, _ := teamBucket(t, cfg)
	db := peer.StartDynamoDB(t)
	const table = "sesbox-export"
	conf := teamConfig(s3srv.URL, "http://127.0.0.1:1", fwdPath, table)
	alice, bob, carol := newOperator(t, "alice", conf), newOperator(t, "bob", conf), newOperator(t, "carol", conf)
	dyn := []string{"--dynamodb-endpoint", db.URL}
	if _, stderr, code := alice.run(t, bin, nil, append(dyn, "team", "init")...); code != 0 {
		t.Fatalf("team init: %s", stderr)
	}

	aFile := filepath.Join(dir, "alice-export.mbox")
	if out, stderr, code := alice.run(t, bin, nil, append(dyn, "export", "--mbox", aFile)...); code != 0 {
		t.Fatalf("alice export: exit %d\n%s\n%s", code, out, stderr)
	}
	bDir := filepath.Join(dir, "bob-export")
	if out, stderr, code := bob.run(t, bin, nil, append(dyn, "export", "--maildir", bDir)...); code != 0 {
		t.Fatalf("bob export: exit %d\n%s\n%s", code, out, stderr)
	}
	aMan, err := audit.CheckManifest(audit.ManifestPath(aFile))
	if err != nil || !aMan.OK() || aMan.Entries != int64(len(keys)) {
		t.Fatalf("alice's manifest %+v %v", aMan, err)
	}
	bMan, err := audit.CheckManifest(audit.ManifestPath(bDir))
	if err != nil || !bMan.OK() || bMan.Entries != int64(len(keys)) {
		t.Fatalf("bob's manifest %+v %v", bMan, err)
	}

	out, stderr, code := carol.run(t, bin, nil, append(dyn, "audit", "log", "--verify")...)
	if code != 0 || !strings.Contains(out, "shared log (team table "+table+") intact: 2 entries") || strings.Count(out, " export ") != 2 {
		t.Fatalf("carol verify: exit %d\n%s\n%s", code, out, stderr)
	}
	out, stderr, code = bob.run(t, bin, nil, append(dyn, "audit", "log", "--json", "--verify")...)
	if code != 0 {
		t.Fatalf("bob log --json: exit %d\n%s", code, stderr)
	}
	var merged []actionlog.MergedAction
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var m actionlog.MergedAction
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if m.Command != "" {
			merged = append(merged, m)
		}
	}
	if len(merged) != 2 {
		t.Fatalf("bob's merged log has %d actions:\n%s", len(merged), out)
	}
	wantLogs := [][]string{{"shared"}, {"local", "shared"}}
	wantKinds := []string{"mbox", "maildir"}
	wantHashes := []string{aMan.SHA256, bMan.SHA256} // a maildir manifest names each file
	for i, m := range merged {
		e := m.Export
		if m.Command != "export" || !slices.Equal(m.Logs, wantLogs[i]) || e == nil || e.Kind != wantKinds[i] ||
			e.Count != int64(len(keys)) || e.ManifestSHA256 != wantHashes[i] || m.SharedSeq != int64(i+1) {
			t.Errorf("action %d: %+v export %+v", i, m, e)
		}
	}

	// The table holds the export's hashes and counts, never a local path.
	client := db.Client()
	ctx := context.Background()
	key := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "log"}, "sk": &types.AttributeValueMemberS{Value: "00000000000000000001"}}
	item, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key})
	if err != nil || item.Item == nil {
		t.Fatalf("read entry 1: %v", err)
	}
	entry := item.Item["entry"].(*types.AttributeValueMemberS).Value
	if strings.Contains(entry, dir) || !strings.Contains(entry, aMan.SHA256) {
		t.Errorf("shared entry %s", entry)
	}
	item.Item["entry"] = &types.AttributeValueMemberS{Value: strings.Replace(entry, `"count":30`, `"count":29`, 1)}
	if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item.Item}); err != nil {
		t.Fatal(err)
	}
	out, _, code = carol.run(t, bin, nil, append(dyn, "audit", "log", "--verify")...)
	if code != 1 || !strings.Contains(out, "item log/00000000000000000001: edited") {
		t.Errorf("verify after tampering: exit %d\n%s", code, out)
	}
}
