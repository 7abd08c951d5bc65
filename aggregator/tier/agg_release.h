/*
 * agg_release.h - a city or the province hands a child's schools over:
 * after a county moved under a new city, the schools it counted are
 * forgotten here so that the city's summaries of them count instead.
 */
#ifndef AGG_RELEASE_H
#define AGG_RELEASE_H

#include <sqlite3.h>

#include "agg_store.h"

/*
 * Above a county: removes, in one transaction, every school counted through
 * the child source, which must be revoked (so that it sends nothing more),
 * and queues each removal upstream like a snapshot's. Returns the number of
 * schools released, or -1 with err ("source S is not revoked...", a store
 * failure); nothing is changed then.
 */
int rcl_agg_release_schools(sqlite3 *db, const struct rcl_agg_config *cfg, const char *source,
                            char *err, size_t errlen);

#endif
