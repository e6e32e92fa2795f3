/*
 * query.h — what the query module offers other modules.  The SQL API itself
 * (ots_query_prepare / _next / _close …) is public and declared in
 * include/ots.h; its language reference is docs/language.md.
 */
#ifndef OTS_QUERY_H
#define OTS_QUERY_H

#include "ots.h"

/* The completion status text of every statement kind, e.g. "CREATE TABLE":
 * see ots_query_status(). Nothing else is shared yet. */

#endif /* OTS_QUERY_H */
