package mime

import (
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jhillyerd/enmime/v2"
	"github.com/smallstep/pkcs7"
)

// maxSignedDepth is how many opaque S/MIME signatures, one inside the
// other, sesbox opens: the sender's blob could nest them without end.
const maxSignedDepth = 3

// isOpaqueSigned reports a part that holds a message inside its S/MIME
// signature: application/pkcs7-mime (or the x- type) with smime-type
// signed-data.
func isOpaqueSigned(p *enmime.Part) bool {
	if p.ContentType != "application/pkcs7-mime" && p.ContentType != "application/x-pkcs7-mime" {
		return false
	}
	_, params, _, _ := parseMediaType(p.Header.Get("Content-Type"))
	return strings.EqualFold(params["smime-type"], "signed-data")
}

// openSigned opens each opaque S/MIME signed leaf of root (depth
// signatures deep already): the notice says what checking the signature
// found, the parts of the message inside are listed after v's (Embedded:
// not among the message's own MIME parts, which the summary counts), and
// when v has no body of its own the inner message's is v's body.
func openSigned(v *View, root *enmime.Part, depth int) {
	index := 0
	walkParts(root, func(p *enmime.Part) {
		if !isLeaf(p) {
			return
		}
		index++
		if !isOpaqueSigned(p) {
			return
		}
		inner, notice := openSignedData(p.Content, depth)
		v.Notices = append(v.Notices, strings.Replace(notice, "S/MIME", fmt.Sprintf("S/MIME (part %d)", index), 1))
		if inner == nil {
			return
		}
		for _, ip := range inner.Parts {
			ip.Index, ip.Embedded = len(v.Parts)+1, true
			v.Parts = append(v.Parts, ip)
		}
		if v.Text == "" && v.HTML == "" {
			v.Text, v.HTML, v.HTMLText, v.Links = inner.Text, inner.HTML, inner.HTMLText, inner.Links
		}
		v.Notices = append(v.Notices, inner.Notices...)
		for _, w := range inner.Warnings {
			if slices.Contains(inner.Summary.Warnings, w) {
				continue // a MIME entity has no From, Date or Subject of its own
			}
			if !IsNote(w) && !strings.HasPrefix(w, "inside the S/MIME signature: ") {
				w = "inside the S/MIME signature: " + w
			}
			v.Warnings = append(v.Warnings, w)
		}
	})
}

// openSignedData reads an opaque S/MIME blob (DER or BER PKCS#7
// SignedData), checks its signature against the certificate it carries,
// and parses the message inside. inner is nil when there is none to show
// (the blob does not parse, is not signed data, or nests too deep); notice
// always says what was found.
func openSignedData(der []byte, depth int) (inner *View, notice string) {
	if depth >= maxSignedDepth {
		return nil, fmt.Sprintf("Signed with S/MIME, nested in %d other signatures: sesbox opens no deeper. Save the part (sesbox save) and open it with openssl smime -verify.", depth)
	}
	p7, err := parsePKCS7(der)
	if err != nil {
		return nil, fmt.Sprintf("Signed with S/MIME, but the signature cannot be read (%v): save the part (sesbox save) and check it with openssl smime -verify.", err)
	}
	if len(p7.Content) == 0 {
		return nil, "Signed with S/MIME, but the blob holds no message (or is encrypted, which sesbox cannot decrypt): save the part (sesbox save) and open it with openssl smime."
	}
	inner = parseMessage(p7.Content, parser, depth+1)
	if len(p7.Signers) == 0 {
		return inner, "Signed with S/MIME, but the signature has no signer: nothing vouches for the message inside it. It is shown as it is."
	}
	if err := verifyPKCS7(p7); err != nil {
		if _, ok := errors.AsType[*pkcs7.MessageDigestMismatchError](err); ok {
			err = errors.New("its digest is not the one signed")
		}
		return inner, fmt.Sprintf("Signed with S/MIME, but the signature does NOT match the message inside it (%v): it may have been changed after it was signed. It is shown as it is.", err)
	}
	return inner, fmt.Sprintf("Signed with S/MIME: the message inside the signature is shown; the signature matches the certificate it carries (%s), but sesbox does not check who issued that certificate, so it does not prove who sent the message.",
		signerName(p7.GetOnlySigner()))
}

// Bounds on the shape of an S/MIME blob, which the library's BER-to-DER
// conversion is quadratic in: 5 MB of nested indefinite-length octet
// strings took it 74 seconds, a million octet strings in one unterminated
// sequence 40. A real blob nests about a dozen levels (content info, signed
// data, signer infos, attributes, certificates and their extensions) and
// holds a few hundred elements, some thousands with a chain of certificates.
const (
	maxBERDepth    = 64
	maxBERElements = 20000
)

// parsePKCS7 is pkcs7.Parse with a panic an error, on a blob within the
// bounds above: the blob is the sender's.
func parsePKCS7(der []byte) (p7 *pkcs7.PKCS7, err error) {
	if err := berBounds(der); err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			p7, err = nil, fmt.Errorf("malformed PKCS#7: %v", r)
		}
	}()
	return pkcs7.Parse(der)
}

// berBounds checks that the BER (or DER) elements of b nest at most
// maxBERDepth deep and number at most maxBERElements, in one pass without
// recursion. It reads only as far as it must: a malformed element ends
// the walk (nil), for the library to reject with its own words.
func berBounds(b []byte) error {
	var open []int // the end of each open constructed element; -1: indefinite length
	for i, n := 0, 0; i < len(b); n++ {
		if n > maxBERElements {
			return fmt.Errorf("it holds more than %d elements", maxBERElements)
		}
		for len(open) > 0 && open[len(open)-1] >= 0 && i >= open[len(open)-1] {
			open = open[:len(open)-1]
		}
		if i+1 < len(b) && b[i] == 0 && b[i+1] == 0 && len(open) > 0 && open[len(open)-1] < 0 {
			open, i = open[:len(open)-1], i+2 // end of contents
			continue
		}
		tag := b[i]
		i++
		if tag&0x1f == 0x1f { // a tag number in the bytes that follow
			for i < len(b) && b[i]&0x80 != 0 {
				i++
			}
			i++
		}
		if i >= len(b) {
			return nil
		}
		l := int(b[i])
		i++
		end := -1
		switch {
		case l < 0x80:
			end = i + l
		case l == 0x80:
			if tag&0x20 == 0 {
				return nil
			}
		default:
			k := l & 0x7f
			if k > 4 || i+k > len(b) {
				return nil
			}
			v := 0
			for _, c := range b[i : i+k] {
				v = v<<8 | int(c)
			}
			i += k
			end = i + v
		}
		if tag&0x20 != 0 { // constructed: its elements follow
			if open = append(open, end); len(open) > maxBERDepth {
				return fmt.Errorf("its elements nest more than %d deep", maxBERDepth)
			}
			continue
		}
		if end < 0 || end > len(b) {
			return nil
		}
		i = end
	}
	return nil
}

// verifyPKCS7 is p7.Verify (each signature against the certificate the
// blob carries, no chain of trust) with a panic an error.
func verifyPKCS7(p7 *pkcs7.PKCS7) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed signature: %v", r)
		}
	}()
	return p7.Verify()
}

// oidEmailAddress is the emailAddress attribute of a certificate's subject.
var oidEmailAddress = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}

// signerName is the signer's certificate as a reader knows it: "Name
// <address>", or what of it there is.
func signerName(c *x509.Certificate) string {
	if c == nil {
		return "several signers"
	}
	addr := ""
	if len(c.EmailAddresses) > 0 {
		addr = c.EmailAddresses[0]
	}
	for _, n := range c.Subject.Names {
		if s, ok := n.Value.(string); ok && addr == "" && n.Type.Equal(oidEmailAddress) {
			addr = s
		}
	}
	switch name := c.Subject.CommonName; {
	case name != "" && addr != "":
		return name + " <" + addr + ">"
	case addr != "":
		return addr
	case name != "":
		return name
	}
	return "a certificate without a name"
}
