// Package fakekms stands in for the one KMS call sesbox makes (Decrypt),
// and seals messages the way SES stores them when a receipt rule's S3
// action names a KMS key, so tests can put real SES-shaped objects into
// gofakes3.
//
// It is one of the few fakes of an AWS API in the tree, each kept only
// where no peer can be had (fakelogs for CloudWatch Logs, sesident for the
// two SES v2 calls aws-ses-v2-local lacks, posture's bucket settings no
// local S3 has): everything else runs against real protocol
// implementations (gofakes3, versitygw, aws-ses-v2-local, dynalite,
// fauxqs). No KMS emulator can be had here (local-kms is refused by the
// module proxy and nothing else is packaged). What it fakes
// is small and fixed by KMS's documentation: Decrypt of a blob made under
// an encryption context succeeds only with that exact context, and fails
// with InvalidCiphertextException otherwise. Everything past Decrypt (the
// metadata, base64, AES-GCM) is the real format and is not faked.
package fakekms

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
)

// KMS is one symmetric KMS key behind Decrypt.
type KMS struct {
	master cipher.AEAD

	mu      sync.Mutex
	regions []string
	err     error
}

// New returns a KMS with a fresh random key.
func New() *KMS {
	return &KMS{master: newGCM(random(32))}
}

// Fail makes every later Decrypt return err (nil: succeed again), as KMS
// does for a caller without kms:Decrypt.
func (k *KMS) Fail(err error) {
	k.mu.Lock()
	k.err = err
	k.mu.Unlock()
}

// Regions returns the region of each Decrypt so far: set by its options
// ("" for the client's own) when called directly, the signed one over HTTP.
func (k *KMS) Regions() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.regions...)
}

// Decrypt implements the one method of s3store's kmsAPI.
func (k *KMS) Decrypt(_ context.Context, in *kms.DecryptInput, opts ...func(*kms.Options)) (*kms.DecryptOutput, error) {
	var o kms.Options
	for _, fn := range opts {
		fn(&o)
	}
	return k.decrypt(in, o.Region)
}

// ServeHTTP answers the same Decrypt in KMS's wire protocol (JSON 1.1,
// X-Amz-Target TrentService.Decrypt), so that a real *kms.Client pointed at
// it through AWS_ENDPOINT_URL_KMS checks the command's wiring end to end.
// The region recorded is the one the request was signed for.
func (k *KMS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, code, msg string) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
	}
	if r.Header.Get("X-Amz-Target") != "TrentService.Decrypt" {
		fail(http.StatusBadRequest, "UnsupportedOperationException", "fakekms answers Decrypt only")
		return
	}
	var in struct {
		CiphertextBlob    []byte // base64 in JSON, as KMS has it
		EncryptionContext map[string]string
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fail(http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	// Authorization: AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/kms/aws4_request, ...
	region := ""
	if _, cred, ok := strings.Cut(r.Header.Get("Authorization"), "Credential="); ok {
		if p := strings.Split(cred, "/"); len(p) > 2 {
			region = p[2]
		}
	}
	out, err := k.decrypt(&kms.DecryptInput{CiphertextBlob: in.CiphertextBlob, EncryptionContext: in.EncryptionContext}, region)
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			fail(http.StatusBadRequest, ae.ErrorCode(), ae.ErrorMessage())
		} else {
			fail(http.StatusInternalServerError, "KMSInternalException", err.Error())
		}
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(map[string]any{"Plaintext": out.Plaintext, "KeyId": "arn:aws:kms:us-east-1:111122223333:key/fake",
		"EncryptionAlgorithm": "SYMMETRIC_DEFAULT"})
}

func (k *KMS) decrypt(in *kms.DecryptInput, region string) (*kms.DecryptOutput, error) {
	k.mu.Lock()
	k.regions = append(k.regions, region)
	err := k.err
	k.mu.Unlock()
	if err != nil {
		return nil, err
	}
	n := k.master.NonceSize()
	if len(in.CiphertextBlob) < n {
		return nil, &types.InvalidCiphertextException{Message: aws.String("ciphertext too short")}
	}
	key, err := k.master.Open(nil, in.CiphertextBlob[:n], in.CiphertextBlob[n:], aad(in.EncryptionContext))
	if err != nil {
		return nil, &types.InvalidCiphertextException{}
	}
	return &kms.DecryptOutput{Plaintext: key}, nil
}

// wrap is GenerateDataKey's CiphertextBlob: the data key sealed under the
// master key with the encryption context as additional data.
func (k *KMS) wrap(key []byte, ctx map[string]string) []byte {
	nonce := random(k.master.NonceSize())
	return k.master.Seal(nonce, nonce, key, aad(ctx))
}

// aad is the encryption context in one canonical form (json.Marshal sorts
// map keys).
func aad(ctx map[string]string) []byte {
	if len(ctx) == 0 {
		return nil
	}
	b, _ := json.Marshal(ctx)
	return b
}

// SESContext is the material description SES writes through the S3
// encryption client: its encryption context plus the client's kms_cmk_id.
func SESContext(messageID, ruleName, account, keyARN string) map[string]string {
	return map[string]string{
		"aws:ses:message-id":     messageID,
		"aws:ses:rule-name":      ruleName,
		"aws:ses:source-account": account,
		"kms_cmk_id":             keyARN,
	}
}

// Seal encrypts msg as the S3 encryption client does: a random AES-256
// data key wrapped by KMS under matdesc, a random 12-byte IV, AES-GCM with
// the 16-byte tag appended. wrapAlg is "kms" (what SES writes: matdesc is
// the context as is) or "kms+context" (the v2/v3 clients, which add
// "aws:x-amz-cek-alg" to it). It returns the object body and its user
// metadata, named as GetObjectOutput.Metadata names them.
func (k *KMS) Seal(msg []byte, wrapAlg string, matdesc map[string]string) (body []byte, metadata map[string]string) {
	const cekAlg = "AES/GCM/NoPadding"
	ctx := map[string]string{}
	for n, v := range matdesc {
		ctx[n] = v
	}
	if wrapAlg == "kms+context" {
		ctx["aws:x-amz-cek-alg"] = cekAlg
	}
	key, iv := random(32), random(12)
	md, _ := json.Marshal(ctx)
	return newGCM(key).Seal(nil, iv, msg, nil), map[string]string{
		"x-amz-key-v2":                     base64.StdEncoding.EncodeToString(k.wrap(key, ctx)),
		"x-amz-iv":                         base64.StdEncoding.EncodeToString(iv),
		"x-amz-cek-alg":                    cekAlg,
		"x-amz-wrap-alg":                   wrapAlg,
		"x-amz-matdesc":                    string(md),
		"x-amz-tag-len":                    "128",
		"x-amz-unencrypted-content-length": strconv.Itoa(len(msg)),
	}
}

func newGCM(key []byte) cipher.AEAD {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return gcm
}

func random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return b
}
