/*
 * agg_sql.h - the aggregator store's schema and statements, kept together.
 *
 * Migrations are numbered by PRAGMA user_version (see rcl_db.h): step i
 * of agg_steps (agg_store.c) takes version i to i+1 and names the stores
 * that take it. Never edit a released migration; append one.
 *
 * The students table and what goes with it are steps only a county store
 * takes (RCL_AGG_SQL_STUDENTS on). A city or province store has no table
 * that could hold a student, which is the privacy boundary of DESIGN.md
 * made structural.
 */
#ifndef RCL_AGG_SQL_H
#define RCL_AGG_SQL_H

#include "rcl_counts.h"

/*
 * The counts' columns of summaries, summaries_staging and rollup, one for each
 * count of rcl_counts.h and in its order. Each piece below is led by ", ", so
 * it follows the column before it: RCL_AGG_SQL_COUNT_COLS is ", students,
 * condition_online, ...", RCL_AGG_SQL_COUNT_PARAMS ",?,?,...".
 *
 * The migrations that made these columns (RCL_AGG_SQL_V1 and the rollup's)
 * are written with the same list, and must go on making the columns every
 * store has. A new count needs a migration of its own (its column added to
 * the three tables, the rollup triggers made again), with these kept to the
 * first RCL_AGG_SQL_V1_COUNTS counts; agg_summary.c asserts the list is that
 * long, so the first to add a count reads this.
 */
#define RCL_AGG_COL_(column, member) ", " #column
#define RCL_AGG_PARAM_(column, member) ",?"
#define RCL_AGG_COL_DEF_(column, member) ", " #column RCL_AGG_INT_COL
#define RCL_AGG_SQL_COUNT_COLS RCL_SUMMARY_COLUMNS(RCL_AGG_COL_)
#define RCL_AGG_SQL_COUNT_PARAMS RCL_SUMMARY_COLUMNS(RCL_AGG_PARAM_)
/* The counts the migrations below make columns for. */
#define RCL_AGG_SQL_V1_COUNTS 22

#define RCL_AGG_INT_COL " INTEGER NOT NULL DEFAULT 0"

/* Version 0 -> 1: meta, the registry of sources, and the per-school summaries. */
/* clang-format off */
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
    " last_sync INTEGER NOT NULL DEFAULT 0"                                                        \
    RCL_SUMMARY_COLUMNS(RCL_AGG_COL_DEF_) ");"                                                     \
    "CREATE INDEX summaries_child ON summaries(child);"
/* clang-format on */

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
/*
 * Version 11 -> 12: timeliness. When each school first reported (its
 * county's first accepted batch, carried upward in every summary; at a
 * county taken from the batch log for schools that reported before), how
 * many schools an enrolled aggregator is expected to bring (so one that
 * never sends is counted missing with them), and the completeness of every
 * day, kept by `run` (agg_monitor.h).
 */
#define RCL_AGG_SQL_TIMELINESS                                                                     \
    "ALTER TABLE summaries ADD COLUMN first_sync INTEGER NOT NULL DEFAULT 0;"                      \
    "ALTER TABLE summaries_staging ADD COLUMN first_sync INTEGER NOT NULL DEFAULT 0;"              \
    "UPDATE summaries SET first_sync = coalesce((SELECT min(b.applied_at) FROM batch_log b"        \
    " WHERE b.source = summaries.school_id), 0) WHERE reported = 1 AND child = school_id;"         \
    "CREATE INDEX summaries_first ON summaries(reported, first_sync, child, county);"              \
    "ALTER TABLE sources ADD COLUMN expect_schools INTEGER NOT NULL DEFAULT 0;"                    \
    "CREATE TABLE completeness_daily(day TEXT PRIMARY KEY, expected INTEGER NOT NULL,"             \
    " reported INTEGER NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;"

/* The schools expected of enrolled aggregators that have sent no summary yet. */
#define RCL_AGG_SQL_SILENT_EXPECTED                                                                \
    "(SELECT coalesce(sum(s.expect_schools), 0) FROM sources s WHERE s.revoked = 0"                \
    " AND NOT EXISTS (SELECT 1 FROM summaries m WHERE m.child = s.id))"
/* Today's (?1) completeness as of ?2; the rollup counts every summary by trigger. */
#define RCL_AGG_SQL_SERIES_NOTE                                                                    \
    "INSERT INTO completeness_daily(day, expected, reported, updated_at) SELECT ?1,"               \
    " coalesce(sum(schools), 0) + " RCL_AGG_SQL_SILENT_EXPECTED ", coalesce(sum(reported), 0), ?2" \
    " FROM rollup WHERE true ON CONFLICT(day) DO UPDATE SET expected = excluded.expected,"         \
    " reported = excluded.reported, updated_at = excluded.updated_at"
#define RCL_AGG_SQL_SERIES_LIST                                                                    \
    "SELECT day, expected, reported FROM completeness_daily ORDER BY day"
/* Schools that first reported by ?1, by (child, county). */
#define RCL_AGG_SQL_ON_TIME_COUNTS                                                                 \
    "SELECT child, county, count(*) FROM summaries WHERE reported = 1 AND first_sync > 0"          \
    " AND first_sync <= ?1 GROUP BY child, county"

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

/*
 * Version 7 -> 8 (then 9, 10): per (child, county) totals kept by triggers,
 * so that a report reads a few hundred rows instead of every school's
 * summary (agg_report.c). AFTER triggers fire for every writer (ingest,
 * snapshots, enrolment, repair by hand). RCL_AGG_SQL_SUMMARY_PUT is an
 * upsert, not INSERT OR REPLACE, because a replacing insert deletes the old
 * row without firing the delete trigger; and there is no OR IGNORE inside a
 * trigger, since the firing statement's conflict policy would replace it.
 * The report checks sum(schools) against count(*) and counts the summaries
 * themselves when they disagree. The indexes serve the only per-school parts
 * of a report: stale schools and the ids never synced.
 */
/* clang-format off */
#define RCL_AGG_ROLLUP_SUM_(column, member) ", sum(" #column ")"
#define RCL_AGG_ROLLUP_PLUS_NEW_(column, member) ", " #column " = " #column " + NEW." #column
#define RCL_AGG_ROLLUP_MINUS_OLD_(column, member) ", " #column " = " #column " - OLD." #column
#define RCL_AGG_ROLLUP_ADD_NEW                                                                     \
    "INSERT INTO rollup(child, county) SELECT NEW.child, NEW.county WHERE NOT EXISTS"              \
    " (SELECT 1 FROM rollup WHERE child = NEW.child AND county = NEW.county);"                     \
    "UPDATE rollup SET schools = schools + 1, reported = reported + (NEW.reported != 0)"           \
    RCL_SUMMARY_COLUMNS(RCL_AGG_ROLLUP_PLUS_NEW_)                                                  \
    " WHERE child = NEW.child AND county = NEW.county;"
#define RCL_AGG_ROLLUP_SUB_OLD                                                                     \
    "UPDATE rollup SET schools = schools - 1, reported = reported - (OLD.reported != 0)"           \
    RCL_SUMMARY_COLUMNS(RCL_AGG_ROLLUP_MINUS_OLD_)                                                 \
    " WHERE child = OLD.child AND county = OLD.county;"                                            \
    "DELETE FROM rollup WHERE child = OLD.child AND county = OLD.county AND schools <= 0;"
#define RCL_AGG_SQL_ROLLUP                                                                         \
    "CREATE TABLE rollup(child TEXT NOT NULL, county TEXT NOT NULL,"                               \
    " schools" RCL_AGG_INT_COL ", reported" RCL_AGG_INT_COL                                        \
    RCL_SUMMARY_COLUMNS(RCL_AGG_COL_DEF_) ", PRIMARY KEY(child, county)) WITHOUT ROWID;"           \
    "INSERT INTO rollup SELECT child, county, count(*), sum(reported != 0)"                        \
    RCL_SUMMARY_COLUMNS(RCL_AGG_ROLLUP_SUM_) " FROM summaries GROUP BY child, county;"             \
    "CREATE INDEX summaries_sync ON summaries(reported, last_sync, child, county);"                \
    "CREATE INDEX summaries_never ON summaries(reported, school_id);"
/* Versions 8 -> 9 and 9 -> 10: the triggers (migrations of their own: C strings stay short). */
#define RCL_AGG_SQL_ROLLUP_TRIGGERS                                                                \
    "CREATE TRIGGER summaries_rollup_insert AFTER INSERT ON summaries BEGIN "                      \
    RCL_AGG_ROLLUP_ADD_NEW " END;"                                                                 \
    "CREATE TRIGGER summaries_rollup_delete AFTER DELETE ON summaries BEGIN "                      \
    RCL_AGG_ROLLUP_SUB_OLD " END;"
#define RCL_AGG_SQL_ROLLUP_UPDATE                                                                  \
    "CREATE TRIGGER summaries_rollup_update AFTER UPDATE OF child, county, reported"               \
    RCL_AGG_SQL_COUNT_COLS " ON summaries BEGIN "                                                  \
    RCL_AGG_ROLLUP_SUB_OLD RCL_AGG_ROLLUP_ADD_NEW " END;"
/* clang-format on */

#define RCL_AGG_SQL_ROLLUP_LIST                                                                    \
    "SELECT child, county, schools, reported" RCL_AGG_SQL_COUNT_COLS " FROM rollup"                \
    " ORDER BY child, county"
#define RCL_AGG_SQL_ROLLUP_CHECK                                                                   \
    "SELECT (SELECT count(*) FROM summaries), (SELECT coalesce(sum(schools), 0) FROM rollup)"
/* Schools that reported, but not since ?1. */
#define RCL_AGG_SQL_STALE_COUNTS                                                                   \
    "SELECT child, county, count(*) FROM summaries WHERE reported = 1 AND last_sync < ?1"          \
    " GROUP BY child, county"
#define RCL_AGG_SQL_NEVER_REPORTED                                                                 \
    "SELECT school_id, name FROM summaries WHERE reported = 0 ORDER BY school_id"

/* County stores only: version 12 -> 13 (init made it before, hence IF NOT EXISTS). */
#define RCL_AGG_SQL_STUDENTS                                                                       \
    "CREATE TABLE IF NOT EXISTS students("                                                         \
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

/*
 * County stores only: versions 13 -> 14, 14 -> 15 and 15 -> 16. Before
 * version 17 they were counted apart, by meta 'county_schema' (0 to 3), and
 * are still listed on their own for rollcall-bench-raw. Never edit a
 * released one; append to agg_steps (agg_store.c).
 *
 * County version 0 -> 1: the full record. Each student row gains its measures'
 * helper roles and dates (measure_details: a JSON array, one object per
 * measure in the order of the measures text, which is kept as it was) and
 * its opt-out application; students_staging gains the same columns in the
 * same order, so a snapshot moves in whole. departures keeps every student
 * a school removed; school_profiles and school_platforms hold what a
 * school's profile says beyond its name and county.
 */
#define RCL_AGG_SQL_COUNTY_STUDENT_COLS(table)                                                     \
    "ALTER TABLE " table " ADD COLUMN measure_details TEXT NOT NULL DEFAULT '[]';"                 \
    "ALTER TABLE " table " ADD COLUMN optout_status TEXT NOT NULL DEFAULT 'none';"                 \
    "ALTER TABLE " table " ADD COLUMN optout_reason TEXT NOT NULL DEFAULT '';"                     \
    "ALTER TABLE " table " ADD COLUMN optout_filed TEXT NOT NULL DEFAULT '';"                      \
    "ALTER TABLE " table " ADD COLUMN optout_decided TEXT NOT NULL DEFAULT '';"
#define RCL_AGG_SQL_COUNTY_V1                                                                      \
    RCL_AGG_SQL_COUNTY_STUDENT_COLS("students")                                                    \
    RCL_AGG_SQL_COUNTY_STUDENT_COLS("students_staging")                                            \
    "CREATE INDEX IF NOT EXISTS students_pseudonym ON students(pseudonym);"                        \
    "CREATE TABLE departures("                                                                     \
    " school_id TEXT NOT NULL, pseudonym BLOB NOT NULL, name TEXT NOT NULL,"                       \
    " grade INTEGER NOT NULL, class TEXT NOT NULL, reason TEXT NOT NULL,"                          \
    " destination TEXT NOT NULL, left_on TEXT NOT NULL, recorded_at INTEGER NOT NULL,"             \
    " PRIMARY KEY(school_id, pseudonym));"                                                         \
    "CREATE INDEX departures_pseudonym ON departures(pseudonym);"                                  \
    "CREATE TABLE school_profiles("                                                                \
    " school_id TEXT PRIMARY KEY, parent_school TEXT NOT NULL, contact_role TEXT NOT NULL,"        \
    " materials_delivered INTEGER NOT NULL, materials_total INTEGER NOT NULL,"                     \
    " materials_percent INTEGER NOT NULL, updated_at INTEGER NOT NULL);"                           \
    "CREATE TABLE school_platforms("                                                               \
    " school_id TEXT NOT NULL, idx INTEGER NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,"      \
    " classes TEXT NOT NULL, PRIMARY KEY(school_id, idx));"

/*
 * County version 1 -> 2: students loses its index on the pseudonym. Pseudonyms are
 * random, so every row written touched a random page of it: it cost more
 * than the rest of the upsert together (rollcall-bench-raw: 8.0 against 3.2
 * us a row for 120,000 rows). Its one reader, the list of transfers no
 * school received, now looks the pseudonyms up in a set SQLite builds once
 * for the query (RCL_AGG_SQL_DEPARTURES_UNRECEIVED).
 */
#define RCL_AGG_SQL_COUNTY_V2 "DROP INDEX IF EXISTS students_pseudonym;"

/*
 * County version 2 -> 3: where the student is now and who to call (the guardian's
 * phone; each helper's is in measure_details). Kept at the county only:
 * nothing upward carries them. Both tables, in the same order.
 */
#define RCL_AGG_SQL_COUNTY_PLACE_COLS(table)                                                       \
    "ALTER TABLE " table " ADD COLUMN place_county TEXT NOT NULL DEFAULT '';"                      \
    "ALTER TABLE " table " ADD COLUMN place TEXT NOT NULL DEFAULT '';"                             \
    "ALTER TABLE " table " ADD COLUMN guardian_contact TEXT NOT NULL DEFAULT '';"
#define RCL_AGG_SQL_COUNTY_V3                                                                      \
    RCL_AGG_SQL_COUNTY_PLACE_COLS("students") RCL_AGG_SQL_COUNTY_PLACE_COLS("students_staging")

#define RCL_AGG_COUNTY_MIGRATIONS                                                                  \
    {                                                                                              \
        RCL_AGG_SQL_COUNTY_V1, RCL_AGG_SQL_COUNTY_V2, RCL_AGG_SQL_COUNTY_V3                        \
    }
/* Version 16 -> 17, every store: the county's own count is user_version's now. */
#define RCL_AGG_SQL_COUNTY_FOLDED "DELETE FROM meta WHERE key = 'county_schema';"

/*
 * Version 17 -> 18, every store: the sets of keyed digests counties sent for
 * the exchange (agg_exchange.h), the latest of each county (empty at a county).
 */
#define RCL_AGG_SQL_EXCHANGE                                                                       \
    "CREATE TABLE exchange_units(unit TEXT PRIMARY KEY, digests INTEGER NOT NULL,"                 \
    " received_at INTEGER NOT NULL);"                                                              \
    "CREATE TABLE exchange_digests(unit TEXT NOT NULL, digest BLOB NOT NULL,"                      \
    " PRIMARY KEY(unit, digest)) WITHOUT ROWID;"                                                   \
    "CREATE INDEX exchange_digests_digest ON exchange_digests(digest);"
/* Version 18 -> 19, county stores: which students the upstream found in which other county. */
#define RCL_AGG_SQL_COUNTY_EXCHANGE                                                                \
    "CREATE TABLE exchange_matches(pseudonym BLOB NOT NULL, county TEXT NOT NULL,"                 \
    " received_at INTEGER NOT NULL, PRIMARY KEY(pseudonym, county)) WITHOUT ROWID;"
/*
 * Version 19 -> 20, every store: when each file was made (an older one never
 * replaces a newer), and at a city the matches its upstream made for its
 * counties, kept to hand down (agg_exchange.h).
 */
#define RCL_AGG_SQL_EXCHANGE_RELAY                                                                 \
    "ALTER TABLE exchange_units ADD COLUMN made INTEGER NOT NULL DEFAULT 0;"                       \
    "ALTER TABLE exchange_units ADD COLUMN matches_made INTEGER NOT NULL DEFAULT 0;"               \
    "CREATE TABLE exchange_relay(county TEXT NOT NULL, other TEXT NOT NULL, digest BLOB NOT NULL," \
    " PRIMARY KEY(county, other, digest)) WITHOUT ROWID;"

/* ---- exchange ---- */
/* What a county puts in the exchange: its students, and transfers none of its schools received. */
#define RCL_AGG_SQL_EXCHANGE_PSEUDONYMS                                                            \
    "SELECT pseudonym FROM students UNION SELECT pseudonym FROM departures"                        \
    " WHERE reason = 'transferred_out' AND pseudonym NOT IN (SELECT pseudonym FROM students)"
#define RCL_AGG_SQL_EXCHANGE_DIGESTS                                                               \
    "SELECT DISTINCT exchange_digest(pseudonym) AS d FROM (" RCL_AGG_SQL_EXCHANGE_PSEUDONYMS       \
    ") ORDER BY d"
#define RCL_AGG_SQL_EXCHANGE_SET_CLEAR "DELETE FROM exchange_digests WHERE unit = ?1"
#define RCL_AGG_SQL_EXCHANGE_SET_PUT                                                               \
    "INSERT OR IGNORE INTO exchange_digests(unit, digest) VALUES(?1, ?2)"
#define RCL_AGG_SQL_EXCHANGE_UNIT_PUT                                                              \
    "INSERT INTO exchange_units(unit, digests, received_at, made) VALUES(?1, 0, ?2, ?3)"           \
    " ON CONFLICT(unit) DO UPDATE SET digests = 0, received_at = ?2, made = ?3"
#define RCL_AGG_SQL_EXCHANGE_UNIT_COUNT                                                            \
    "UPDATE exchange_units SET digests = (SELECT count(*) FROM exchange_digests WHERE unit = ?1)"  \
    " WHERE unit = ?1"
#define RCL_AGG_SQL_EXCHANGE_UNIT_MADE                                                             \
    "SELECT made, matches_made FROM exchange_units WHERE unit = ?1"
/* At a city: every county's latest set, a county of none as one row of NULL. */
#define RCL_AGG_SQL_EXCHANGE_SETS                                                                  \
    "SELECT u.unit, d.digest FROM exchange_units u"                                                \
    " LEFT JOIN exchange_digests d ON d.unit = u.unit ORDER BY u.unit, d.digest"
#define RCL_AGG_SQL_EXCHANGE_PAIRS                                                                 \
    "SELECT a.unit, b.unit, COUNT(*) FROM exchange_digests a JOIN exchange_digests b"              \
    " ON b.digest = a.digest AND b.unit > a.unit GROUP BY a.unit, b.unit ORDER BY a.unit, b.unit"
/* What this store found for ?1, and at a city what its upstream found for it too. */
#define RCL_AGG_SQL_EXCHANGE_MATCHES                                                               \
    "SELECT b.unit, a.digest FROM exchange_digests a JOIN exchange_digests b"                      \
    " ON b.digest = a.digest AND b.unit != a.unit WHERE a.unit = ?1"                               \
    " UNION SELECT other, digest FROM exchange_relay WHERE county = ?1 ORDER BY 1, 2"
#define RCL_AGG_SQL_EXCHANGE_RELAY_CLEAR "DELETE FROM exchange_relay WHERE county = ?1"
#define RCL_AGG_SQL_EXCHANGE_RELAY_PUT                                                             \
    "INSERT OR IGNORE INTO exchange_relay(county, other, digest) VALUES(?3, ?1, ?2)"
#define RCL_AGG_SQL_EXCHANGE_RELAY_MADE                                                            \
    "UPDATE exchange_units SET matches_made = ?2 WHERE unit = ?1"
#define RCL_AGG_SQL_EXCHANGE_UNIT_KNOWN "SELECT 1 FROM exchange_units WHERE unit = ?1"
/* At a county: the file's matches in a temporary table, then the students they are. */
#define RCL_AGG_SQL_EXCHANGE_INCOMING                                                                \
    "CREATE TEMP TABLE IF NOT EXISTS exchange_incoming(county TEXT NOT NULL, digest BLOB NOT NULL);" \
    "DELETE FROM temp.exchange_incoming;"
#define RCL_AGG_SQL_EXCHANGE_INCOMING_PUT                                                          \
    "INSERT INTO temp.exchange_incoming(county, digest) VALUES(?1, ?2)"
#define RCL_AGG_SQL_EXCHANGE_MATCHES_CLEAR "DELETE FROM exchange_matches"
#define RCL_AGG_SQL_EXCHANGE_MATCHES_PUT                                                           \
    "INSERT OR IGNORE INTO exchange_matches(pseudonym, county, received_at)"                       \
    " SELECT p.pseudonym, i.county, ?1 FROM (" RCL_AGG_SQL_EXCHANGE_PSEUDONYMS ") p"               \
    " JOIN temp.exchange_incoming i ON i.digest = exchange_digest(p.pseudonym)"

/* ---- sources ---- */
#define RCL_AGG_SQL_SOURCE_COLS                                                                    \
    "id, public_key, curve_pk, revoked, epoch, applied_seq, applied_digest, last_batch_at, "       \
    "enrolled_at, name, county, snapshot_open, expect_schools"
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
#define RCL_AGG_SQL_SOURCE_NAME "UPDATE sources SET name = ?2 WHERE id = ?1"
#define RCL_AGG_SQL_SOURCE_EXPECT "UPDATE sources SET expect_schools = ?2 WHERE id = ?1"
/* A county names a school that never reported by its enrolment (its profile names it after). */
#define RCL_AGG_SQL_SUMMARY_NAME_UNREPORTED                                                        \
    "UPDATE summaries SET name = ?2 WHERE school_id = ?1 AND reported = 0 AND name != ?2"

/* ---- summaries ---- */
/* Every column of a summaries row, in the order rcl_agg_summary_column reads them. */
#define RCL_AGG_SQL_SUMMARY_ALL                                                                    \
    "school_id, child, name, county, reported, last_sync" RCL_AGG_SQL_COUNT_COLS                   \
    ", epoch, through_seq, through_digest, first_sync"
#define RCL_AGG_SQL_SUMMARY_PARAMS "VALUES(?,?,?,?,?,?" RCL_AGG_SQL_COUNT_PARAMS ",?,?,?,?)"
#define RCL_AGG_SQL_SUMMARY_PUT_INTO(table)                                                        \
    "INSERT OR REPLACE INTO " table "(" RCL_AGG_SQL_SUMMARY_ALL ") " RCL_AGG_SQL_SUMMARY_PARAMS
/* An upsert, so that the rollup triggers see an update (see RCL_AGG_SQL_ROLLUP). */
/* clang-format off */
#define RCL_AGG_SQL_SUMMARY_SET_(column, member) ", " #column " = excluded." #column
#define RCL_AGG_SQL_SUMMARY_PUT                                                                    \
    "INSERT INTO summaries(" RCL_AGG_SQL_SUMMARY_ALL ") " RCL_AGG_SQL_SUMMARY_PARAMS               \
    " ON CONFLICT(school_id) DO UPDATE SET child = excluded.child,"                                \
    " name = excluded.name, county = excluded.county, reported = excluded.reported,"               \
    " last_sync = excluded.last_sync" RCL_SUMMARY_COLUMNS(RCL_AGG_SQL_SUMMARY_SET_)                \
    ", epoch = excluded.epoch, through_seq = excluded.through_seq,"                                \
    " through_digest = excluded.through_digest, first_sync = excluded.first_sync"
/* clang-format on */
#define RCL_AGG_SQL_SUMMARY_DELETE "DELETE FROM summaries WHERE school_id = ?1"
/* Only a school's first enrollment creates its row: a re-enrolled school keeps its figures. */
#define RCL_AGG_SQL_SUMMARY_CREATE                                                                 \
    "INSERT OR IGNORE INTO summaries(school_id, child, name, county) VALUES(?1, ?1, ?2, ?3)"
#define RCL_AGG_SQL_SUMMARY_GET                                                                    \
    "SELECT " RCL_AGG_SQL_SUMMARY_ALL " FROM summaries WHERE school_id = ?1"
#define RCL_AGG_SQL_SUMMARY_LIST                                                                   \
    "SELECT " RCL_AGG_SQL_SUMMARY_ALL " FROM summaries ORDER BY child, school_id"
#define RCL_AGG_SQL_SUMMARY_CHILD "SELECT child FROM summaries WHERE school_id = ?1"

/* ---- students (county) ---- */
#define RCL_AGG_SQL_STUDENT_PUT_INTO(table)                                                        \
    "INSERT OR REPLACE INTO " table "(school_id, pseudonym, name, grade, class, network, devices," \
    " platform, groups, participation, measures, feedback, measure_details, optout_status,"        \
    " optout_reason, optout_filed, optout_decided, place_county, place, guardian_contact)"         \
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,"     \
    " ?19, ?20)"
/* The same row only when the student is new here: changes() says which it was. */
#define RCL_AGG_SQL_STUDENT_ADD                                                                    \
    "INSERT INTO students(school_id, pseudonym, name, grade, class, network, devices, platform,"   \
    " groups, participation, measures, feedback, measure_details, optout_status, optout_reason,"   \
    " optout_filed, optout_decided, place_county, place, guardian_contact)"                        \
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,"     \
    " ?19, ?20)"                                                                                   \
    " ON CONFLICT(school_id, pseudonym) DO NOTHING"
#define RCL_AGG_SQL_DEPARTURE_PUT                                                                  \
    "INSERT OR REPLACE INTO departures(school_id, pseudonym, name, grade, class, reason,"          \
    " destination, left_on, recorded_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
/* Transferred out, and enrolled at no school of the county. The subquery is not correlated:
 * SQLite builds the set of pseudonyms once (students has no index on them). */
#define RCL_AGG_SQL_DEPARTURES_UNRECEIVED                                                           \
    "SELECT school_id, pseudonym, name, grade, class, reason, destination, left_on FROM departures" \
    " WHERE reason = 'transferred_out' AND pseudonym NOT IN (SELECT pseudonym FROM students)"       \
    " ORDER BY school_id, left_on, name"
#define RCL_AGG_SQL_PROFILE_PUT                                                                    \
    "INSERT OR REPLACE INTO school_profiles(school_id, parent_school, contact_role,"               \
    " materials_delivered, materials_total, materials_percent, updated_at)"                        \
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"
#define RCL_AGG_SQL_PLATFORMS_CLEAR "DELETE FROM school_platforms WHERE school_id = ?1"
#define RCL_AGG_SQL_PLATFORM_PUT                                                                   \
    "INSERT INTO school_platforms(school_id, idx, name, kind, classes) VALUES(?1, ?2, ?3, ?4, ?5)"
#define RCL_AGG_SQL_STUDENT_DELETE_FROM(table)                                                     \
    "DELETE FROM " table " WHERE school_id = ?1 AND pseudonym = ?2"

/* ---- lists (agg_lists.h); ?1 is a school id to keep, or NULL for every school ---- */
#define RCL_AGG_SQL_LIST_SCHOOL_KNOWN "SELECT count(*) FROM summaries WHERE school_id = ?1"
#define RCL_AGG_SQL_LIST_STUDENTS                                                                  \
    "SELECT s.school_id, coalesce(m.name, ''), s.pseudonym, s.name, s.grade, s.class,"             \
    " s.network, s.devices, s.groups, s.participation, s.measures, s.feedback, s.measure_details," \
    " s.optout_status, s.optout_reason, s.optout_filed, s.optout_decided, s.place_county,"         \
    " s.place, s.guardian_contact"                                                                 \
    " FROM students s LEFT JOIN summaries m ON m.school_id = s.school_id"                          \
    " WHERE ?1 IS NULL OR s.school_id = ?1"
/* The county's students (and transfers) its upstream found in another county (agg_exchange.h). */
#define RCL_AGG_SQL_LIST_ELSEWHERE                                                                    \
    "SELECT x.county, 'enrolled', s.school_id, coalesce(m.name, ''), s.grade, s.class, s.name"        \
    " FROM exchange_matches x JOIN students s ON s.pseudonym = x.pseudonym"                           \
    " LEFT JOIN summaries m ON m.school_id = s.school_id WHERE ?1 IS NULL OR s.school_id = ?1"        \
    " UNION ALL SELECT x.county, 'transferred_out', d.school_id, coalesce(m.name, ''), d.grade,"      \
    " d.class, d.name FROM exchange_matches x JOIN departures d ON d.pseudonym = x.pseudonym"         \
    " AND d.reason = 'transferred_out' LEFT JOIN summaries m ON m.school_id = d.school_id"            \
    " WHERE (?1 IS NULL OR d.school_id = ?1) AND d.pseudonym NOT IN (SELECT pseudonym FROM students)" \
    " ORDER BY 1, 3, 5, 6, 7"
/* One student's measure_details, an element a row. */
#define RCL_AGG_SQL_LIST_DETAILS                                                                   \
    "SELECT key, json_extract(value, '$.kind'), json_extract(value, '$.helper_role'),"             \
    " json_extract(value, '$.start_date'), json_extract(value, '$.end_date'),"                     \
    " json_extract(value, '$.helper_contact') FROM json_each(?1)"
/* Every school, its profile (all NULL when it sent none) and its platforms, one row each. */
#define RCL_AGG_SQL_LIST_PLATFORMS                                                                 \
    "SELECT m.school_id, m.name, p.school_id IS NOT NULL, p.contact_role, p.materials_delivered,"  \
    " p.materials_total, p.materials_percent, pl.name, pl.kind, pl.classes FROM summaries m"       \
    " LEFT JOIN school_profiles p ON p.school_id = m.school_id"                                    \
    " LEFT JOIN school_platforms pl ON pl.school_id = m.school_id"                                 \
    " WHERE ?1 IS NULL OR m.school_id = ?1 ORDER BY m.school_id, pl.idx"
/* Every row of a pseudonym held by two schools or more (with ?1: one of them is ?1). One
 * sort by pseudonym (window functions) instead of a join: students has no pseudonym index. */
#define RCL_AGG_SQL_LIST_DUPLICATES                                                                \
    "SELECT d.pseudonym, d.n, d.school_id, coalesce(m.name, ''), d.name, d.grade, d.class"         \
    " FROM (SELECT pseudonym, school_id, name, grade, class,"                                      \
    "  count(*) OVER w AS n, min(name) OVER w AS first_name, sum(school_id = ?1) OVER w AS hit"    \
    "  FROM students WINDOW w AS (PARTITION BY pseudonym)) d"                                      \
    " LEFT JOIN summaries m ON m.school_id = d.school_id"                                          \
    " WHERE d.n >= 2 AND (?1 IS NULL OR d.hit > 0)"                                                \
    " ORDER BY d.first_name, d.pseudonym, d.school_id"
/* At a county, per school: undecided opt-out applications and family feedback records. */
#define RCL_AGG_SQL_REPORT_SCHOOL_RECORDS                                                          \
    "SELECT school_id, sum(optout_status = 'pending'), sum(feedback <> '') FROM students"          \
    " GROUP BY school_id"
/* The other schools of the county where the student of pseudonym ?1 at school ?2 is enrolled. */
#define RCL_AGG_SQL_LIST_ALSO_AT                                                                   \
    "SELECT school_id FROM students WHERE pseudonym = ?1 AND school_id <> ?2 ORDER BY school_id"
/* Students the county's totals count more than once: pseudonyms at two schools or more. */
#define RCL_AGG_SQL_COUNTED_TWICE                                                                  \
    "SELECT count(*) FROM (SELECT pseudonym FROM students GROUP BY pseudonym"                      \
    " HAVING count(*) > 1)"
#define RCL_AGG_SQL_LIST_SCHOOLS                                                                   \
    "SELECT school_id, name, county, child, reported, last_sync FROM summaries"                    \
    " WHERE ?1 IS NULL OR school_id = ?1"

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
    "SELECT " RCL_AGG_SQL_SUMMARY_ALL " FROM summaries_staging WHERE child = ?1 ORDER BY school_id"
/* Schools counted through a child that its snapshot no longer holds. */
#define RCL_AGG_SQL_SUMMARIES_GONE                                                                 \
    "SELECT school_id FROM summaries WHERE child = ?1 AND school_id NOT IN"                        \
    " (SELECT school_id FROM summaries_staging WHERE child = ?1) ORDER BY school_id"
#define RCL_AGG_SQL_STUDENT_COUNTS                                                                 \
    "SELECT network, devices, groups, participation, measures FROM students WHERE school_id = ?1"
/* The same columns of one row: what it counts for before a batch replaces or removes it. */
#define RCL_AGG_SQL_STUDENT_COUNTED                                                                \
    "SELECT network, devices, groups, participation, measures FROM students"                       \
    " WHERE school_id = ?1 AND pseudonym = ?2"

#endif
