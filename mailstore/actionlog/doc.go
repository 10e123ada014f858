// Package actionlog is the tamper-evident log of what operators sent with
// sesbox: a hash-chained JSON-lines file with a head file beside it (Log,
// VerifyLog), the same chain kept as records of a shared store in team
// mode (ChainNext, VerifyShared), and the merged view of both (Merge).
package actionlog
