package s3store

// Reading mail that a receipt rule's S3 action stored with a KMS key.
//
// SES does not use S3 server-side encryption for this: it encrypts the
// message itself with the Amazon S3 encryption client (envelope encryption)
// and stores ciphertext, with the envelope in the object's user metadata
// (the SDK's GetObjectOutput.Metadata, keys without "x-amz-meta-"):
//
//	x-amz-key-v2      base64 of the data key as KMS encrypted it
//	x-amz-iv          base64 of the 12-byte GCM nonce
//	x-amz-cek-alg     "AES/GCM/NoPadding": AES-256-GCM, the 16-byte tag appended to the ciphertext, no AAD
//	x-amz-wrap-alg    "kms" (what SES writes), or "kms+context" (the v2/v3 clients)
//	x-amz-matdesc     JSON object of strings: the KMS encryption context
//	x-amz-tag-len     "128" (bits)
//	x-amz-unencrypted-content-length
//
// The data key is KMS Decrypt(CiphertextBlob = x-amz-key-v2, EncryptionContext
// = x-amz-matdesc as it is). For "kms" (the Java v1 client, which SES uses)
// the matdesc is the context SES sent to KMS plus the "kms_cmk_id" the
// client adds, e.g. {"aws:ses:message-id": ..., "aws:ses:rule-name": ...,
// "aws:ses:source-account": ..., "kms_cmk_id": "arn:aws:kms:...:alias/aws/ses"}.
// For "kms+context" the matdesc also holds "aws:x-amz-cek-alg", which must
// equal x-amz-cek-alg.
//
// What this relies on:
//   - the KMS Developer Guide, "How Amazon SES uses AWS KMS": SES uses the
//     AWS-provided S3 encryption client; its encryption context is
//     aws:ses:source-account, aws:ses:rule-name and aws:ses:message-id;
//   - the SES API reference, S3Action.KmsKeyArn: client-side, "not
//     encrypted using Amazon S3 server-side encryption";
//   - aws/amazon-s3-encryption-client-go (v3): internal/object_metadata.go
//     (the metadata names), client/kms_keyring.go (Decrypt with the matdesc
//     as context; the aws:x-amz-cek-alg check for kms+context),
//     internal/aes_gcm.go (Open with no additional data, tag appended);
//   - the AWS SDK for Java v1 S3 encryption client: KMSEncryptionMaterials
//     adds "kms_cmk_id" to the material description, and cekByKMS decrypts
//     with the object's whole material description as the context;
//   - aws/amazon-s3-encryption-client-dotnet
//     test/UnitTests/AesGcmDecryptUsingMetadata.cs: metadata "extracted from
//     an encrypted S3 object sample using AWS SES" (wrap-alg "kms",
//     x-amz-key-v2, AES/GCM/NoPadding, a 12-byte IV, tag-len 128, the matdesc
//     above).
//
// Not supported, with ErrUnsupportedEnvelope: the v1 metadata (x-amz-key,
// no wrap algorithm: a key wrapped by a client-side master key, never by
// KMS, so never SES), wrapping other than KMS, and AES/CBC content (the
// encryption clients' unauthenticated legacy mode; no SES object has been
// seen with it).

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/sesbox/sesbox/mailstore"
)

// kmsAPI is the part of *kms.Client the store uses.
type kmsAPI interface {
	Decrypt(ctx context.Context, in *kms.DecryptInput, opts ...func(*kms.Options)) (*kms.DecryptOutput, error)
}

// WithKMS sets the KMS client that unwraps the data keys of objects SES
// stored with a KMS key, and returns s. Without one, reading such an object
// fails with mailstore.ErrEncrypted.
func (s *Store) WithKMS(client kmsAPI) *Store {
	s.kms = client
	return s
}

// ErrUnsupportedEnvelope is returned (wrapped, with mailstore.ErrEncrypted)
// for client-side encrypted objects whose envelope is not the one SES
// writes, or is malformed.
var ErrUnsupportedEnvelope = errors.New("unsupported client-side encryption envelope")

// The envelope's metadata names and values (see the top of this file).
const (
	metaKeyV1       = "x-amz-key"
	metaKeyV2       = "x-amz-key-v2"
	metaIV          = "x-amz-iv"
	metaCEKAlg      = "x-amz-cek-alg"
	metaWrapAlg     = "x-amz-wrap-alg"
	metaMatDesc     = "x-amz-matdesc"
	metaTagLen      = "x-amz-tag-len"
	cekAESGCM       = "AES/GCM/NoPadding"
	wrapKMS         = "kms"
	wrapKMSContext  = "kms+context"
	contextCEKAlg   = "aws:x-amz-cek-alg"
	contextKMSKeyID = "kms_cmk_id"
	contextSESID    = "aws:ses:message-id"
	gcmTagBits      = "128"
	gcmNonceSize    = 12
)

// clientSideEncrypted reports whether object metadata carries an S3
// encryption client envelope.
func clientSideEncrypted(md map[string]string) bool {
	return md[metaCEKAlg] != "" || md[metaKeyV2] != "" || md[metaKeyV1] != ""
}

// envelope is the parsed metadata of one encrypted object.
type envelope struct {
	wrappedKey []byte
	iv         []byte
	context    map[string]string
}

func parseEnvelope(md map[string]string) (envelope, error) {
	var env envelope
	unsupported := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrUnsupportedEnvelope, fmt.Sprintf(format, a...))
	}
	if md[metaKeyV2] == "" {
		if md[metaKeyV1] != "" {
			return env, unsupported("v1 metadata (%s without a wrap algorithm): the key is wrapped by a client-side master key, not KMS", metaKeyV1)
		}
		return env, unsupported("no %s", metaKeyV2)
	}
	wrap, cek := md[metaWrapAlg], md[metaCEKAlg]
	if wrap != wrapKMS && wrap != wrapKMSContext {
		return env, unsupported("key wrapped with %q, not KMS", wrap)
	}
	if cek != cekAESGCM {
		return env, unsupported("content encrypted with %q, not %s", cek, cekAESGCM)
	}
	if tl := md[metaTagLen]; tl != "" && tl != gcmTagBits {
		return env, unsupported("GCM tag of %s bits", tl)
	}
	var err error
	if env.wrappedKey, err = base64.StdEncoding.DecodeString(md[metaKeyV2]); err != nil || len(env.wrappedKey) == 0 {
		return env, unsupported("%s is not base64", metaKeyV2)
	}
	if env.iv, err = base64.StdEncoding.DecodeString(md[metaIV]); err != nil || len(env.iv) != gcmNonceSize {
		return env, unsupported("%s is not a base64 %d-byte nonce", metaIV, gcmNonceSize)
	}
	env.context = map[string]string{}
	if d := md[metaMatDesc]; d != "" {
		if err := json.Unmarshal([]byte(d), &env.context); err != nil {
			return env, unsupported("%s is not a JSON object of strings: %v", metaMatDesc, err)
		}
	}
	// The v2/v3 clients bind the content algorithm into the context, so a
	// swapped x-amz-cek-alg cannot pass KMS; check it as they do.
	if wrap == wrapKMSContext && env.context[contextCEKAlg] != cek {
		return env, unsupported("%s in %s is %q, want %q", contextCEKAlg, metaMatDesc, env.context[contextCEKAlg], cek)
	}
	return env, nil
}

// decrypt opens the ciphertext body of the object at key whose metadata
// is md. Errors wrap KMS's own error, ErrUnsupportedEnvelope, or say that
// the content failed authentication or is another message's.
func (s *Store) decrypt(ctx context.Context, key string, md map[string]string, body []byte) ([]byte, error) {
	env, err := parseEnvelope(md)
	if err != nil {
		return nil, err
	}
	var opts []func(*kms.Options)
	if r := kmsKeyRegion(env.context[contextKMSKeyID]); r != "" {
		// The key (and so Decrypt) lives in the receipt rule's region,
		// which need not be the bucket's.
		opts = append(opts, func(o *kms.Options) { o.Region = r })
	}
	out, err := s.kms.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: env.wrappedKey, EncryptionContext: env.context}, opts...)
	if err != nil {
		return nil, fmt.Errorf("unwrap the data key: %w", Explain(err, "kms:Decrypt"))
	}
	block, err := aes.NewCipher(out.Plaintext)
	if err != nil {
		return nil, fmt.Errorf("data key from KMS: %w", err)
	}
	gcm, err := cipher.NewGCM(block) // 12-byte nonce, 16-byte tag
	if err != nil {
		return nil, err
	}
	plain, err := gcm.Open(nil, env.iv, body, nil)
	if err != nil {
		return nil, fmt.Errorf("AES-GCM: %w (the object or its metadata was altered)", err)
	}
	// SES puts the message id in the context KMS has just checked, and
	// stores the message under it: an object under another id is another
	// message's envelope and ciphertext copied there (by anyone who may
	// write to the bucket), which decrypts, and was shown as this one.
	if id, ok := env.context[contextSESID]; ok && id != mailstore.SESMessageID(key) {
		return nil, fmt.Errorf("its encryption context is SES message %.140q's, and its key names %.140q: another message's object copied under this key",
			id, mailstore.SESMessageID(key))
	}
	return plain, nil
}

// kmsKeyRegion is the region in a KMS key or alias ARN
// (arn:PARTITION:kms:REGION:ACCOUNT:key/ID), or "".
func kmsKeyRegion(arn string) string {
	p := strings.SplitN(arn, ":", 6)
	if len(p) == 6 && p[0] == "arn" && p[2] == "kms" {
		return p[3]
	}
	return ""
}
