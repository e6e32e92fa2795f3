/*
 * error.c — hands a statement's error message to the store so that
 * ots_errmsg(s) shows it, as include/ots.h promises for ots_query_*.
 *
 * There is no public setter for a store's message, so this one file uses
 * the storage module's ots_set_err (storage/storage_int.h) and nothing else
 * from that header.
 */
#include "query/query_int.h"
#include "storage/storage_int.h"

void ots_q_store_err(ots_store *s, int rc, const char *msg) { ots_set_err(s, rc, "%s", msg); }
