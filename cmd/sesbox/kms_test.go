package main

import (
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/sesbox/sesbox/mailstore/testutil/fakekms"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
)

// A real mailbox gets a real KMS client: mail SES stored with a KMS key is
// listed and shown in plaintext, the Decrypt going (through the SDK's own
// AWS_ENDPOINT_URL_KMS) to the region of the key the message names.
func TestKMSEncryptedMailEndToEnd(t *testing.T) {
	isolate(t)
	k := fakekms.New()
	kmsSrv := httptest.NewServer(k)
	t.Cleanup(kmsSrv.Close)
	t.Setenv("AWS_ENDPOINT_URL_KMS", kmsSrv.URL)

	raw, err := os.ReadFile("../../testdata/forwarder/message.replyto.txt")
	if err != nil {
		t.Fatal(err)
	}
	const id = "81fu1unjk93bm5cb0jlk23fll33spcvf3633l8qg1"
	body, meta := k.Seal(raw, "kms", fakekms.SESContext(id, "store-encrypted", "111122223333",
		"arn:aws:kms:us-west-2:111122223333:alias/aws/ses"))
	srv := fakes3.Start(t, "mail")
	srv.PutMeta(t, "mail", "inbox/"+id, body, meta)
	flags := []string{"--endpoint", srv.URL, "--bucket", "mail", "--prefix", "inbox/"}

	// Without kms:Decrypt the message is listed and the reason is given.
	k.Fail(&smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized to perform: kms:Decrypt"})
	rows := lsJSON(t, flags...)
	if len(rows) != 1 || rows[0]["subject"] != "(encrypted with KMS)" {
		t.Fatalf("ls without kms:Decrypt: %v", rows)
	}
	_, errOut, code := sesbox(t, append(flags, "show", id)...)
	if code == 0 || !strings.Contains(errOut, "the credentials need kms:Decrypt") {
		t.Fatalf("show without kms:Decrypt: exit %d, %q", code, errOut)
	}

	k.Fail(nil)
	rows = lsJSON(t, flags...)
	if len(rows) != 1 || rows[0]["subject"] != "Test message from Betsy" || rows[0]["size"] != float64(len(raw)) {
		t.Fatalf("ls: %v", rows)
	}
	out, errOut, code := sesbox(t, append(flags, "show", id, "--raw")...)
	if code != 0 || out != string(raw) {
		t.Fatalf("show --raw: exit %d, %d bytes (want %d), %s", code, len(out), len(raw), errOut)
	}
	regions := k.Regions()
	if len(regions) < 3 {
		t.Fatalf("KMS saw %d Decrypt calls", len(regions))
	}
	for _, r := range regions {
		if r != "us-west-2" {
			t.Errorf("Decrypt signed for %q, want the key's us-west-2 (the mailbox is in us-east-1)", r)
		}
	}
}
