// Package audit gives auditors evidence about a mailbox: manifests of what
// the bucket held at a point in time (Snapshot), a comparison of the bucket
// with a manifest that names every changed or deleted object and the
// version that still holds its original bytes (Verify), and exports of the
// exact stored bytes (Export). The review of the bucket's settings is
// mailstore/posture; the log of what operators sent is mailstore/actionlog.
//
// Nothing here writes to the bucket: every call is a GET, a HEAD or a List.
package audit
