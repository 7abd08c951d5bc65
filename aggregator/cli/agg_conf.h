/*
 * agg_conf.h - rollcall-agg's configuration file (/etc/rollcall/agg.conf).
 */
#ifndef AGG_CONF_H
#define AGG_CONF_H

#include <stddef.h>

#include "rcl_config.h"

#define RCL_AGG_CONF_DEFAULT "/etc/rollcall/agg.conf"
/* Names another default file (an empty value: none), e.g. for tests. */
#define RCL_AGG_CONF_ENV "ROLLCALL_AGG_CONFIG"

/*
 * Reads file (--config), or the default file when file is NULL and it
 * exists, checking every key and value. Returns the configuration; NULL
 * with err[0] == '\0' when there is no file to read, NULL with
 * "FILE:LINE: reason" in err on an error.
 */
struct rcl_config *rcl_agg_conf_load(const char *file, char *err, size_t errlen);

#endif
