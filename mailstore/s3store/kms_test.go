package s3store

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"os"
	"strings"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/mime"
	"github.com/sesbox/sesbox/mailstore/testutil/fakekms"
	"github.com/sesbox/sesbox/mailstore/testutil/fakes3"
	"github.com/sesbox/sesbox/mailstore/testutil/httprec"
)

// sesMessage is a message as SES received it (LF line ends, as stored).
func sesMessage(t *testing.T) []byte {
	t.Helper()
	raw, err := os.ReadFile("../../testdata/forwarder/message.replyto.txt")
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

const keyARN = "arn:aws:kms:eu-west-1:111122223333:key/1379c3ab-4633-4de2-9b66-1b5538fa28a6"

func sesContext() map[string]string {
	return fakekms.SESContext("81fu1unjk93bm5cb0jlk23fll33spcvf3633l8qg1", "store-encrypted", "111122223333", keyARN)
}

func TestReadsKMSEncryptedMail(t *testing.T) {
	raw := sesMessage(t)
	for _, wrap := range []string{"kms", "kms+context"} {
		t.Run(wrap, func(t *testing.T) {
			srv := fakes3.Start(t, "mail")
			k := fakekms.New()
			body, meta := k.Seal(raw, wrap, sesContext())
			srv.PutMeta(t, "mail", "inbox/81fu1unjk93bm5cb0jlk23fll33spcvf3633l8qg1", body, meta)
			rec := &httprec.Recorder{}
			st := New(srv.Client(rec), mailstore.Location{Bucket: "mail", Prefix: "inbox/"}).WithKMS(k)

			// The whole object fits the first range: one GET.
			hdr, obj, err := st.ReadHeader(context.Background(), "inbox/81fu1unjk93bm5cb0jlk23fll33spcvf3633l8qg1")
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(hdr, raw) || obj.Size != int64(len(raw)) || obj.ETag == "" {
				t.Fatalf("ReadHeader = %q (size %d), want the plaintext (header and body), size %d", hdr, obj.Size, len(raw))
			}
			if gets := rec.ObjectGets(); gets != 1 {
				t.Errorf("%d GETs for a message inside the first range, want 1", gets)
			}
			got, obj, err := st.Read(context.Background(), "inbox/81fu1unjk93bm5cb0jlk23fll33spcvf3633l8qg1")
			if err != nil || !bytes.Equal(got, raw) || obj.Size != int64(len(raw)) {
				t.Fatalf("Read = %d bytes (size %d), %v; want the %d plaintext bytes", len(got), obj.Size, err, len(raw))
			}
			if s := mime.Summarize(hdr); s.Subject != "Test message from Betsy" {
				t.Errorf("subject %q", s.Subject)
			}
			if wrap == "kms" {
				// kms_cmk_id names the key's region: Decrypt goes there.
				if len(k.Regions()) == 0 {
					t.Error("KMS was never called")
				}
				for _, r := range k.Regions() {
					if r != "eu-west-1" {
						t.Errorf("Decrypt sent to region %q, want the key's eu-west-1", r)
					}
				}
			}

			// A header range shorter than the object: the range is not
			// enough to authenticate, so the rest is read, once.
			rec2 := &httprec.Recorder{}
			st = New(srv.Client(rec2), mailstore.Location{Bucket: "mail", Prefix: "inbox/"}).WithKMS(k)
			st.HeaderRange = 256
			hdr, obj, err = st.ReadHeader(context.Background(), "inbox/81fu1unjk93bm5cb0jlk23fll33spcvf3633l8qg1")
			if err != nil || !bytes.Equal(hdr, raw) || obj.Size != int64(len(raw)) {
				t.Fatalf("ReadHeader with a short range = %d bytes (size %d), %v", len(hdr), obj.Size, err)
			}
			if gets := rec2.ObjectGets(); gets != 2 {
				t.Errorf("%d GETs, want the ranged one and one whole read", gets)
			}
		})
	}
}

func TestEncryptedMailThatCannotBeRead(t *testing.T) {
	raw := sesMessage(t)
	accessDenied := &smithy.GenericAPIError{Code: "AccessDeniedException",
		Message: "User: arn:aws:iam::111122223333:user/reader is not authorized to perform: kms:Decrypt on the resource associated with this ciphertext"}
	cases := []struct {
		name   string
		wrap   string
		edit   func(body []byte, meta map[string]string) []byte
		kmsErr error
		want   string // in the error
		is     error  // besides ErrEncrypted
	}{
		{name: "wrong encryption context", wrap: "kms", want: "InvalidCiphertextException",
			edit: func(b []byte, m map[string]string) []byte {
				m["x-amz-matdesc"] = strings.Replace(m["x-amz-matdesc"], "store-encrypted", "another-rule", 1)
				return b
			}},
		{name: "tampered ciphertext", wrap: "kms", want: "message authentication failed",
			edit: func(b []byte, m map[string]string) []byte { b[10] ^= 1; return b }},
		{name: "truncated ciphertext", wrap: "kms", want: "message authentication failed",
			edit: func(b []byte, m map[string]string) []byte { return b[:len(b)-1] }},
		{name: "tampered nonce", wrap: "kms+context", want: "message authentication failed",
			edit: func(b []byte, m map[string]string) []byte { m["x-amz-iv"] = "AAAAAAAAAAAAAAAA"; return b }},
		{name: "no kms:Decrypt", wrap: "kms", kmsErr: accessDenied, want: "the credentials need kms:Decrypt", is: accessDenied},
		{name: "kms+context with another algorithm in the context", wrap: "kms+context", want: "aws:x-amz-cek-alg", is: ErrUnsupportedEnvelope,
			edit: func(b []byte, m map[string]string) []byte {
				m["x-amz-matdesc"] = strings.Replace(m["x-amz-matdesc"], "AES/GCM/NoPadding", "AES/CBC/PKCS5Padding", 1)
				return b
			}},
		{name: "AES/CBC content", wrap: "kms", want: "AES/CBC/PKCS5Padding", is: ErrUnsupportedEnvelope,
			edit: func(b []byte, m map[string]string) []byte { m["x-amz-cek-alg"] = "AES/CBC/PKCS5Padding"; return b }},
		{name: "v1 metadata", wrap: "kms", want: "v1 metadata", is: ErrUnsupportedEnvelope,
			edit: func(b []byte, m map[string]string) []byte {
				m["x-amz-key"] = m["x-amz-key-v2"]
				delete(m, "x-amz-key-v2")
				delete(m, "x-amz-wrap-alg")
				delete(m, "x-amz-cek-alg")
				return b
			}},
		{name: "client-side master key", wrap: "kms", want: `"AESWrap"`, is: ErrUnsupportedEnvelope,
			edit: func(b []byte, m map[string]string) []byte { m["x-amz-wrap-alg"] = "AESWrap"; return b }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := fakes3.Start(t, "mail")
			k := fakekms.New()
			body, meta := k.Seal(raw, c.wrap, sesContext())
			meta = maps.Clone(meta)
			if c.edit != nil {
				body = c.edit(body, meta)
			}
			srv.PutMeta(t, "mail", "enc", body, meta)
			k.Fail(c.kmsErr)
			st := New(srv.Admin, mailstore.Location{Bucket: "mail"}).WithKMS(k)
			for _, read := range []func(context.Context, string) ([]byte, mailstore.Object, error){st.ReadHeader, st.Read} {
				b, _, err := read(context.Background(), "enc")
				if !errors.Is(err, mailstore.ErrEncrypted) || !strings.Contains(err.Error(), c.want) || b != nil {
					t.Fatalf("got %d bytes, %v; want ErrEncrypted naming %q", len(b), err, c.want)
				}
				if c.is != nil && !errors.Is(err, c.is) {
					t.Errorf("%v: want it to wrap %v", err, c.is)
				}
				if !strings.Contains(err.Error(), "s3://mail/enc") {
					t.Errorf("%v: does not say which object", err)
				}
			}
		})
	}
}

// TestEncryptedMailUnderAnotherIDIsRefused: SES encrypts a message with
// its id in the encryption context and stores it under that id. Another
// message's object (envelope and ciphertext) copied under a new key
// decrypts, KMS and GCM both satisfied; it was shown, listed and
// forwarded as the message its key names. It is refused, and the original
// still reads.
func TestEncryptedMailUnderAnotherIDIsRefused(t *testing.T) {
	raw := sesMessage(t)
	srv := fakes3.Start(t, "mail")
	k := fakekms.New()
	body, meta := k.Seal(raw, "kms", sesContext())
	srv.PutMeta(t, "mail", "inbox/81fu1unjk93bm5cb0jlk23fll33spcvf3633l8qg1", body, meta)
	srv.PutMeta(t, "mail", "inbox/0000000000000000000000000000000000000001", body, meta)
	st := New(srv.Admin, mailstore.Location{Bucket: "mail", Prefix: "inbox/"}).WithKMS(k)
	for _, read := range []func(context.Context, string) ([]byte, mailstore.Object, error){st.ReadHeader, st.Read} {
		b, _, err := read(context.Background(), "inbox/0000000000000000000000000000000000000001")
		if !errors.Is(err, mailstore.ErrEncrypted) || b != nil || !strings.Contains(err.Error(), "another message's object copied under this key") {
			t.Fatalf("got %d bytes, %v; want ErrEncrypted saying the object is another message's", len(b), err)
		}
		if b, _, err := read(context.Background(), "inbox/81fu1unjk93bm5cb0jlk23fll33spcvf3633l8qg1"); err != nil || !bytes.Equal(b, raw) {
			t.Fatalf("the original: %d bytes, %v", len(b), err)
		}
	}
}

func TestKMSKeyRegion(t *testing.T) {
	for arn, want := range map[string]string{
		keyARN: "eu-west-1",
		"arn:aws:kms:us-west-2:123456789012:alias/aws/ses":    "us-west-2",
		"arn:aws-cn:kms:cn-north-1:123456789012:key/1234abcd": "cn-north-1",
		"1234abcd-12ab-34cd-56ef-1234567890ab":                "",
		"arn:aws:s3:::bucket":                                 "",
		"":                                                    "",
	} {
		if got := kmsKeyRegion(arn); got != want {
			t.Errorf("kmsKeyRegion(%q) = %q, want %q", arn, got, want)
		}
	}
}
