package index

import (
	"database/sql"
	"fmt"
	"strings"
)

// addReportColumn adds the report column (mailstore.Summary.Report) to an
// index made before sesbox knew delivery reports. Rows indexed then were
// summarized without it, so their ETags are cleared: the next refresh
// reads their headers again (once) and finds the bounces and complaints
// among them. Until then they show as ordinary mail, never wrongly as
// reports.
func addReportColumn(db *sql.DB) error {
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM pragma_table_info('messages') WHERE name='report'`).Scan(&n); err != nil {
		return fmt.Errorf("read schema: %w", err)
	}
	if n > 0 {
		return nil
	}
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`ALTER TABLE messages ADD COLUMN report TEXT`); err != nil {
		if strings.Contains(err.Error(), "duplicate column") {
			return nil // another process added it first
		}
		return fmt.Errorf("add report column: %w", err)
	}
	if _, err := tx.Exec(`UPDATE messages SET etag=''`); err != nil {
		return fmt.Errorf("add report column: %w", err)
	}
	return tx.Commit()
}
