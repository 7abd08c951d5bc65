/*
 * agg_sql.h - the aggregator store's schema and statements, kept together.
 *
 * Migrations are numbered by PRAGMA user_version (see rcl_db.h): entry i
 * takes version i to i+1. Never edit a released migration; append one.
 *
 * The students table is not part of the migrations: `init` creates it only
 * in a county store (RCL_AGG_SQL_STUDENTS). A city or province store has no
 * table that could hold a student, which is the privacy boundary of
 * DESIGN.md made structural.
 */
#ifndef RCL_AGG_SQL_H
#define RCL_AGG_SQL_H

/* The totals columns of a summaries row, in the order rcl_agg_totals_bind uses. */
#define RCL_AGG_TOTALS_COLS                                                                        \
    "students, condition_online, condition_tv_only, condition_none, blind_spots, "                 \
    "groups_poverty_card, groups_hardship, groups_frontline_family, groups_left_behind, "          \
    "groups_migrant, groups_disabled, groups_other, "                                              \
    "measures_tv_at_village, measures_loaned_device, measures_data_subsidy, "                      \
    "measures_one_to_one, measures_paper_materials, measures_funding, "                            \
    "participation_active, participation_irregular, participation_absent, "                        \
    "participation_opted_out"
#define RCL_AGG_TOTALS_NCOLS 22
#define RCL_AGG_TOTALS_PARAMS "?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?"

#define RCL_AGG_INT_COL " INTEGER NOT NULL DEFAULT 0"

/* Version 0 -> 1: meta, the registry of sources, and the per-school summaries. */
#define RCL_AGG_SQL_V1                                                                             \
    RCL_DB_META_SQL                                                                                \
    "CREATE TABLE sources("                                                                        \
    " id TEXT PRIMARY KEY,"                                                                        \
    " public_key BLOB NOT NULL,"                                                                   \
    " curve_pk BLOB NOT NULL UNIQUE,"                                                              \
    " revoked INTEGER NOT NULL DEFAULT 0,"                                                         \
    " epoch INTEGER NOT NULL DEFAULT 1,"                                                           \
    " applied_seq INTEGER NOT NULL DEFAULT 0,"                                                     \
    " applied_digest BLOB,"                                                                        \
    " last_batch_at INTEGER NOT NULL DEFAULT 0,"                                                   \
    " enrolled_at INTEGER NOT NULL,"                                                               \
    " name TEXT NOT NULL DEFAULT '',"                                                              \
    " county TEXT NOT NULL DEFAULT '');"                                                           \
    "CREATE TABLE summaries("                                                                      \
    " school_id TEXT PRIMARY KEY,"                                                                 \
    " child TEXT NOT NULL,"                                                                        \
    " name TEXT NOT NULL DEFAULT '',"                                                              \
    " county TEXT NOT NULL DEFAULT '',"                                                            \
    " reported INTEGER NOT NULL DEFAULT 0,"                                                        \
    " last_sync INTEGER NOT NULL DEFAULT 0,"                                                       \
    " students" RCL_AGG_INT_COL ", condition_online" RCL_AGG_INT_COL                               \
    ", condition_tv_only" RCL_AGG_INT_COL ", condition_none" RCL_AGG_INT_COL                       \
    ", blind_spots" RCL_AGG_INT_COL ", groups_poverty_card" RCL_AGG_INT_COL                        \
    ", groups_hardship" RCL_AGG_INT_COL ", groups_frontline_family" RCL_AGG_INT_COL                \
    ", groups_left_behind" RCL_AGG_INT_COL ", groups_migrant" RCL_AGG_INT_COL                      \
    ", groups_disabled" RCL_AGG_INT_COL ", groups_other" RCL_AGG_INT_COL                           \
    ", measures_tv_at_village" RCL_AGG_INT_COL ", measures_loaned_device" RCL_AGG_INT_COL          \
    ", measures_data_subsidy" RCL_AGG_INT_COL ", measures_one_to_one" RCL_AGG_INT_COL              \
    ", measures_paper_materials" RCL_AGG_INT_COL ", measures_funding" RCL_AGG_INT_COL              \
    ", participation_active" RCL_AGG_INT_COL ", participation_irregular" RCL_AGG_INT_COL           \
    ", participation_absent" RCL_AGG_INT_COL ", participation_opted_out" RCL_AGG_INT_COL ");"      \
    "CREATE INDEX summaries_child ON summaries(child);"

/* Version 1 -> 2 is RCL_OUTBOX_SQL (rcl_outbox.h): the queue toward the upstream;
 * 2 -> 3 is RCL_OUTBOX_SQL_V2, the receipt of the upstream. */

/*
 * Version 3 -> 4: epochs with snapshots, and receipts. A source's snapshot
 * is staged (summaries_staging here, students_staging at a county) and
 * replaces its rows in one transaction when it ends. forwards maps the
 * source's applied batches to the own outbox seq that carried their effect
 * upstream, so a receipt from the upstream can be passed down.
 */
#define RCL_AGG_SQL_V4                                                                             \
    "ALTER TABLE sources ADD COLUMN snapshot_open INTEGER NOT NULL DEFAULT 0;"                     \
    "CREATE TABLE summaries_staging AS SELECT * FROM summaries WHERE 0;"                           \
    "CREATE UNIQUE INDEX summaries_staging_key ON summaries_staging(child, school_id);"            \
    "CREATE TABLE forwards(source TEXT NOT NULL, source_seq INTEGER NOT NULL,"                     \
    " own_seq INTEGER NOT NULL, PRIMARY KEY(source, source_seq));"

/*
 * Version 4 -> 5: which of a school's batches a summary includes (its epoch,
 * the last seq and the digest of the batch ending there), so the tier above
 * can tell whose data a total holds.
 */
#define RCL_AGG_SQL_V5                                                                             \
    "ALTER TABLE summaries ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;"                           \
    "ALTER TABLE summaries ADD COLUMN through_seq INTEGER NOT NULL DEFAULT 0;"                     \
    "ALTER TABLE summaries ADD COLUMN through_digest BLOB;"                                        \
    "ALTER TABLE summaries_staging ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;"                   \
    "ALTER TABLE summaries_staging ADD COLUMN through_seq INTEGER NOT NULL DEFAULT 0;"             \
    "ALTER TABLE summaries_staging ADD COLUMN through_digest BLOB;"

/* Version 5 -> 6: the log of applied batches and the refused ones (agg_audit.h). */
#define RCL_AGG_SQL_AUDIT                                                                          \
    "CREATE TABLE batch_log(source TEXT NOT NULL, epoch INTEGER NOT NULL,"                         \
    " first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL, digest BLOB NOT NULL,"                \
    " prev_digest BLOB, changes INTEGER NOT NULL, applied_at INTEGER NOT NULL,"                    \
    " PRIMARY KEY(source, epoch, last_seq));"                                                      \
    "CREATE TABLE refused(id INTEGER PRIMARY KEY, source TEXT NOT NULL,"                           \
    " received_at INTEGER NOT NULL, reason TEXT NOT NULL, bytes INTEGER NOT NULL,"                 \
    " head BLOB NOT NULL);"

/*
 * Version 7 -> 8: when each own change still waiting for the upstream was
 * made, for the upstream lag (agg_monitor.h). Triggers keep it, so the
 * outbox code needs no change: a row per appended seq; rows at or below the
 * acknowledged seq, or at or beyond next_seq (a new epoch restarts at 1),
 * are dropped whenever the uplink row moves. A coalesced change keeps its
 * older row until the ack covers the newer one: the upstream has had no
 * version of that entity since the older time.
 */
#define RCL_AGG_SQL_OUTBOX_AGE                                                                     \
    "CREATE TABLE outbox_age(seq INTEGER PRIMARY KEY, at INTEGER NOT NULL);"                       \
    "CREATE TRIGGER outbox_age_put AFTER INSERT ON outbox BEGIN"                                   \
    " INSERT OR REPLACE INTO outbox_age(seq, at)"                                                  \
    " VALUES(new.seq, CAST(strftime('%s','now') AS INTEGER)); END;"                                \
    "CREATE TRIGGER outbox_age_prune AFTER UPDATE OF next_seq, acked_seq ON uplink BEGIN"          \
    " DELETE FROM outbox_age WHERE seq <= new.acked_seq OR seq >= new.next_seq; END;"
#define RCL_AGG_SQL_OUTBOX_OLDEST                                                                  \
    "SELECT min(a.at) FROM outbox_age a, uplink u WHERE a.seq > u.acked_seq AND a.seq < u.next_seq"

#define RCL_AGG_SQL_BATCH_LOG_PUT                                                                  \
    "INSERT OR REPLACE INTO batch_log(source, epoch, first_seq, last_seq, digest, prev_digest,"    \
    " changes, applied_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
#define RCL_AGG_SQL_BATCH_LOG_OF                                                                   \
    "SELECT epoch, first_seq, last_seq, digest, prev_digest FROM batch_log WHERE source = ?1"      \
    " ORDER BY epoch, last_seq"
#define RCL_AGG_SQL_REFUSED_PUT                                                                    \
    "INSERT INTO refused(source, received_at, reason, bytes, head) VALUES(?1, ?2, ?3, ?4, ?5)"
#define RCL_AGG_SQL_REFUSED_PRUNE                                                                  \
    "DELETE FROM refused WHERE id <= (SELECT max(id) FROM refused) - ?1"
#define RCL_AGG_SQL_REFUSED_LIST                                                                   \
    "SELECT source, received_at, reason, bytes FROM refused ORDER BY id DESC"

/* County stores only, created by init. */
#define RCL_AGG_SQL_STUDENTS                                                                       \
    "CREATE TABLE students("                                                                       \
    " school_id TEXT NOT NULL,"                                                                    \
    " pseudonym BLOB NOT NULL,"                                                                    \
    " name TEXT NOT NULL,"                                                                         \
    " grade INTEGER NOT NULL,"                                                                     \
    " class TEXT NOT NULL,"                                                                        \
    " network INTEGER NOT NULL,"                                                                   \
    " devices INTEGER NOT NULL,"                                                                   \
    " platform TEXT NOT NULL,"                                                                     \
    " groups INTEGER NOT NULL,"                                                                    \
    " participation INTEGER NOT NULL,"                                                             \
    " measures TEXT NOT NULL,"                                                                     \
    " feedback TEXT NOT NULL,"                                                                     \
    " PRIMARY KEY(school_id, pseudonym));"
/* A school's snapshot while it arrives (county stores only). */
#define RCL_AGG_SQL_STUDENTS_STAGING                                                               \
    "CREATE TABLE IF NOT EXISTS students_staging AS SELECT * FROM students WHERE 0;"               \
    "CREATE UNIQUE INDEX IF NOT EXISTS students_staging_key"                                       \
    " ON students_staging(school_id, pseudonym);"

/* ---- sources ---- */
#define RCL_AGG_SQL_SOURCE_COLS                                                                    \
    "id, public_key, curve_pk, revoked, epoch, applied_seq, applied_digest, last_batch_at, "       \
    "enrolled_at, name, county, snapshot_open"
#define RCL_AGG_SQL_SOURCE_GET "SELECT " RCL_AGG_SQL_SOURCE_COLS " FROM sources WHERE id = ?1"
#define RCL_AGG_SQL_SOURCE_LIST "SELECT " RCL_AGG_SQL_SOURCE_COLS " FROM sources ORDER BY id"
#define RCL_AGG_SQL_SOURCE_BY_CURVE "SELECT id FROM sources WHERE curve_pk = ?1"
#define RCL_AGG_SQL_SOURCE_ADMIT "SELECT id FROM sources WHERE curve_pk = ?1 AND revoked = 0"
#define RCL_AGG_SQL_SOURCE_INSERT                                                                  \
    "INSERT INTO sources(id, public_key, curve_pk, revoked, enrolled_at, county)"                  \
    " VALUES(?1, ?2, ?3, 0, ?4, ?5)"
/* A new key is a new node (a rebuilt store starts again at seq 1). */
#define RCL_AGG_SQL_SOURCE_REKEY                                                                   \
    "UPDATE sources SET public_key = ?2, curve_pk = ?3, revoked = 0, applied_seq = 0,"             \
    " applied_digest = NULL, enrolled_at = ?4 WHERE id = ?1"
/* A rotation signed by the old key: the same node, its history goes on. */
#define RCL_AGG_SQL_SOURCE_ROTATE "UPDATE sources SET public_key = ?2, curve_pk = ?3 WHERE id = ?1"
#define RCL_AGG_SQL_SOURCE_UNREVOKE "UPDATE sources SET revoked = 0 WHERE id = ?1"
#define RCL_AGG_SQL_SOURCE_REVOKE "UPDATE sources SET revoked = 1 WHERE id = ?1"
#define RCL_AGG_SQL_SOURCE_APPLIED                                                                 \
    "UPDATE sources SET applied_seq = ?2, applied_digest = ?3, last_batch_at = ?4 WHERE id = ?1"
#define RCL_AGG_SQL_SOURCE_PROFILE "UPDATE sources SET name = ?2, county = ?3 WHERE id = ?1"

/* ---- summaries ---- */
#define RCL_AGG_SQL_SUMMARY_COLS "school_id, child, name, county, reported, last_sync, "
/* Every column of a summaries row, in the order rcl_agg_summary_column reads them. */
#define RCL_AGG_SQL_SUMMARY_ALL                                                                    \
    RCL_AGG_SQL_SUMMARY_COLS RCL_AGG_TOTALS_COLS ", epoch, through_seq, through_digest"
#define RCL_AGG_SQL_SUMMARY_PUT_INTO(table)                                                        \
    "INSERT OR REPLACE INTO " table "(" RCL_AGG_SQL_SUMMARY_ALL               \
    ") VALUES(?,?,?,?,?,?," RCL_AGG_TOTALS_PARAMS ",?,?,?)"
#define RCL_AGG_SQL_SUMMARY_PUT RCL_AGG_SQL_SUMMARY_PUT_INTO("summaries")
#define RCL_AGG_SQL_SUMMARY_DELETE "DELETE FROM summaries WHERE school_id = ?1"
/* Only a school's first enrollment creates its row: a re-enrolled school keeps its figures. */
#define RCL_AGG_SQL_SUMMARY_CREATE                                                                 \
    "INSERT OR IGNORE INTO summaries(school_id, child, name, county) VALUES(?1, ?1, ?2, ?3)"
#define RCL_AGG_SQL_SUMMARY_GET                                                                    \
    "SELECT " RCL_AGG_SQL_SUMMARY_ALL " FROM summaries WHERE school_id = ?1"
#define RCL_AGG_SQL_SUMMARY_LIST                                                                   \
    "SELECT " RCL_AGG_SQL_SUMMARY_ALL                                         \
    " FROM summaries ORDER BY child, school_id"
#define RCL_AGG_SQL_SUMMARY_CHILD "SELECT child FROM summaries WHERE school_id = ?1"

/* ---- students (county) ---- */
#define RCL_AGG_SQL_STUDENT_PUT_INTO(table)                                                        \
    "INSERT OR REPLACE INTO " table "(school_id, pseudonym, name, grade, class, network, devices," \
    " platform, groups, participation, measures, feedback)"                                        \
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
#define RCL_AGG_SQL_STUDENT_DELETE_FROM(table)                                                     \
    "DELETE FROM " table " WHERE school_id = ?1 AND pseudonym = ?2"

/* ---- epochs, snapshots and receipts ---- */
#define RCL_AGG_SQL_EPOCH_OPEN                                                                     \
    "UPDATE sources SET epoch = ?2, applied_seq = 0, applied_digest = NULL, snapshot_open = 1"     \
    " WHERE id = ?1"
#define RCL_AGG_SQL_SNAPSHOT_CLOSE "UPDATE sources SET snapshot_open = 0 WHERE id = ?1"
#define RCL_AGG_SQL_FORWARDS_CLEAR "DELETE FROM forwards WHERE source = ?1"
#define RCL_AGG_SQL_FORWARD_PUT                                                                    \
    "INSERT OR REPLACE INTO forwards(source, source_seq, own_seq) VALUES(?1, ?2, ?3)"
/* The furthest of a source's batches whose effect the top of the chain holds. */
#define RCL_AGG_SQL_FORWARD_TOP                                                                    \
    "SELECT max(source_seq) FROM forwards WHERE source = ?1 AND own_seq <= ?2"
#define RCL_AGG_SQL_FORWARDS_PRUNE "DELETE FROM forwards WHERE source = ?1 AND source_seq < ?2"
/* A new own epoch: its snapshot carries every source's effect, at its end seq. */
#define RCL_AGG_SQL_FORWARDS_REBASE "UPDATE forwards SET own_seq = ?1"
#define RCL_AGG_SQL_STUDENTS_STAGED "SELECT count(*) FROM students_staging WHERE school_id = ?1"
#define RCL_AGG_SQL_STUDENTS_STAGING_CLEAR "DELETE FROM students_staging WHERE school_id = ?1"
#define RCL_AGG_SQL_STUDENTS_DROP "DELETE FROM students WHERE school_id = ?1"
#define RCL_AGG_SQL_STUDENTS_FROM_STAGING                                                          \
    "INSERT INTO students SELECT * FROM students_staging WHERE school_id = ?1"
#define RCL_AGG_SQL_SUMMARIES_STAGED "SELECT count(*) FROM summaries_staging WHERE child = ?1"
#define RCL_AGG_SQL_SUMMARIES_STAGING_CLEAR "DELETE FROM summaries_staging WHERE child = ?1"
#define RCL_AGG_SQL_SUMMARIES_STAGING_LIST                                                         \
    "SELECT " RCL_AGG_SQL_SUMMARY_ALL                                         \
    " FROM summaries_staging WHERE child = ?1 ORDER BY school_id"
/* Schools counted through a child that its snapshot no longer holds. */
#define RCL_AGG_SQL_SUMMARIES_GONE                                                                 \
    "SELECT school_id FROM summaries WHERE child = ?1 AND school_id NOT IN"                        \
    " (SELECT school_id FROM summaries_staging WHERE child = ?1) ORDER BY school_id"
#define RCL_AGG_SQL_STUDENT_COUNTS                                                                 \
    "SELECT network, devices, groups, participation, measures FROM students WHERE school_id = ?1"

#endif
