package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/sesbox/sesbox/mailstore"
)

// memBucket is a minimal Bucket over a map, for testing the snapshot
// stages one at a time (the stages only call these methods; the whole run
// is tested through the real SDK in audit_test.go).
type memBucket struct {
	objs     map[string][]byte
	pageSize int
	listErr  error
}

func (m memBucket) Location() mailstore.Location {
	return mailstore.Location{Bucket: "b", Prefix: "p/"}
}

func (m memBucket) ListSorted(_ context.Context, after string, fn func([]mailstore.Object) error) error {
	var keys []string
	for k := range m.objs {
		if k > after {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for len(keys) > 0 {
		n := min(m.pageSize, len(keys))
		var page []mailstore.Object
		for _, k := range keys[:n] {
			page = append(page, mailstore.Object{Key: k, Size: int64(len(m.objs[k]))})
		}
		if err := fn(page); err != nil {
			return err
		}
		keys = keys[n:]
	}
	return m.listErr
}

func (m memBucket) Open(_ context.Context, key, _ string) (io.ReadCloser, mailstore.Object, error) {
	b, ok := m.objs[key]
	if !ok {
		return nil, mailstore.Object{Key: key}, mailstore.ErrNotFound
	}
	return io.NopCloser(bytes.NewReader(b)), mailstore.Object{Key: key, Size: int64(len(b))}, nil
}

func (m memBucket) Versions(context.Context, string) ([]Version, error) {
	return nil, mailstore.ErrUnsupported
}

func TestListObjectsStage(t *testing.T) {
	b := memBucket{objs: map[string][]byte{"p/a": nil, "p/b": nil, "p/c": nil, "p/d": nil, "p/e": nil}, pageSize: 2}
	_, _, prog := start(nil, 0, 1, nil)
	var got []string
	err := listObjects(b, "p/b", prog)(context.Background(), func(o mailstore.Object) error {
		got = append(got, o.Key)
		return nil
	})
	if err != nil || !slices.Equal(got, []string{"p/c", "p/d", "p/e"}) {
		t.Fatalf("listed %v, %v", got, err)
	}
	if prog.listed.Load() != 3 || !prog.listDone.Load() {
		t.Errorf("listed %d, done %v", prog.listed.Load(), prog.listDone.Load())
	}

	b.listErr = errors.New("list failed")
	_, _, prog = start(nil, 0, 1, nil)
	if err := listObjects(b, "", prog)(context.Background(), func(mailstore.Object) error { return nil }); err == nil || prog.listDone.Load() {
		t.Errorf("a failed listing: err %v, done %v", err, prog.listDone.Load())
	}
}

func TestReadObjectStage(t *testing.T) {
	body := []byte("Subject: x\r\n\r\nbody\r\n")
	b := memBucket{objs: map[string][]byte{"p/a": body}}
	r := readObject(b, nil)(context.Background(), mailstore.Object{Key: "p/a"})
	sum := sha256.Sum256(body)
	if r.err != nil || r.gone || r.d.SHA256 != hex.EncodeToString(sum[:]) || r.d.Size != int64(len(body)) {
		t.Errorf("read: %+v", r)
	}
	if r := readObject(b, nil)(context.Background(), mailstore.Object{Key: "p/gone"}); !r.gone || r.err != nil || r.obj.Key != "p/gone" {
		t.Errorf("deleted after listing: %+v", r)
	}
}

func TestSnapshotCollector(t *testing.T) {
	var buf bytes.Buffer
	_, _, prog := start(nil, 0, 1, nil)
	c := &snapshotCollector{mw: newManifestWriter(&buf), prog: prog}
	ctx := context.Background()
	for _, r := range []snapResult{
		{obj: mailstore.Object{Key: "p/a"}, d: digest{SHA256: "aa", Size: 3}},
		{obj: mailstore.Object{Key: "p/b"}, gone: true},
		{obj: mailstore.Object{Key: "p/c"}, err: errors.New("reset")},
		{obj: mailstore.Object{Key: "p/d"}, d: digest{SHA256: "dd", Size: 4}},
	} {
		if err := c.collect(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	c.mw.w.Flush()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"p/a"`) || !strings.Contains(lines[1], `"p/d"`) {
		t.Errorf("entries:\n%s", buf.String())
	}
	if c.vanished != 1 || len(c.failed) != 1 || c.failed[0].Key != "p/c" || prog.Done != 3 || prog.Errors != 1 || prog.Bytes != 7 {
		t.Errorf("vanished %d, failed %v, done %d, errors %d, bytes %d", c.vanished, c.failed, prog.Done, prog.Errors, prog.Bytes)
	}
	// Once the run is cancelled a failed read stops it instead.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := c.collect(cctx, snapResult{obj: mailstore.Object{Key: "p/e"}, err: context.Canceled}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
