// Package audit gives auditors evidence about a mailbox: manifests of what
// the bucket held at a point in time (Snapshot), a comparison of the bucket
// with a manifest that names every changed or deleted object and the
// version that still holds its original bytes (Verify), a read-only review
// of the bucket settings that decide whether mail can vanish (Posture),
// exports of the exact stored bytes (Export), and the tamper-evident log
// of what operators sent with sesbox (Log, VerifyLog).
//
// Nothing here writes to the bucket: every call is a GET, a HEAD or a List.
package audit
