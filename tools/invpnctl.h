/*
 * invpnctl: shared pieces of the admin tool (tools/invpnctl*.c).
 *
 * invpnctl.c talks to the daemon and dispatches; invpnctl_show.c renders the
 * local commands (status, peers, routes, nodes), invpnctl_mesh.c the health
 * round commands (health, traceroute, graph), invpnctl_help.c holds the help
 * texts and invpnctl_fmt.c the table and unit helpers.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ctl_proto.h"
#include "mac.h"

/* exit statuses */
#define ICTL_EXIT_OK 0
#define ICTL_EXIT_FAIL 1
#define ICTL_EXIT_USAGE 2

struct ictl_opts {
	const char *socket;
	bool json;
	bool wide; /* every column, no width limit */
	enum ctl_command command;
	unsigned wait_ms;
	bool has_target;
	uint8_t target[MAC_LEN];
};

/** Print "invpnctl: " + message + newline to stderr. */
void ictl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- JSON access: absent or mistyped values read as the fallback ---- */

struct json_object *ictl_get(struct json_object *o, const char *key);
const char *ictl_get_str(struct json_object *o, const char *key); /* NULL if absent */
bool ictl_get_u64(struct json_object *o, const char *key, uint64_t *v);
bool ictl_get_double(struct json_object *o, const char *key, double *v);
bool ictl_get_bool(struct json_object *o, const char *key, bool dflt);
/** The array at key, or NULL. */
struct json_object *ictl_get_array(struct json_object *o, const char *key);
/** Write obj pretty-printed (two-space indent, "[]" and "{}" when empty) and a newline. */
void ictl_write_json(FILE *f, struct json_object *obj);
/** ictl_write_json to stdout. */
void ictl_print_json(struct json_object *obj);

/* ---- human units ---- */

#define ICTL_FMT_LEN 48

/** "3s", "5m12s", "2h3m", "4d2h". */
char *ictl_fmt_age(uint64_t s, char buf[ICTL_FMT_LEN]);
/** "512 B", "12.3 KiB", "4.0 MiB", ... */
char *ictl_fmt_bytes(uint64_t n, char buf[ICTL_FMT_LEN]);
/** Seconds for messages: "2", "0.5", "1.25". */
char *ictl_fmt_seconds(unsigned ms, char buf[ICTL_FMT_LEN]);
/** "3.217 ms" (three decimals below 10 ms, one above). */
char *ictl_fmt_rtt(double ms, char buf[ICTL_FMT_LEN]);

/* ---- aligned tables ---- */

/* Tables fit this many columns unless --wide is given. */
#define ICTL_WIDTH 100
/* A wrapped column keeps at least this many columns. */
#define ICTL_WRAP_MIN 20

struct ictl_table;

/**
 * A table with ncols columns; align holds one 'l' or 'r' per column.
 * Headers are added as the first row by the caller. Exits on out of memory.
 */
struct ictl_table *ictl_table_new(size_t ncols, const char *align);
/**
 * Column col may be left out when the table is wider than it may be:
 * rank 1 goes first, then 2, ... (0: always shown, the default).
 */
void ictl_table_optional(struct ictl_table *t, size_t col, unsigned rank);
/** Column col may be wrapped (at spaces, after ", ") onto more lines to fit. */
void ictl_table_wrap(struct ictl_table *t, size_t col);
/** Append one cell to the current row; NULL or "" prints as "-". */
void ictl_table_cell(struct ictl_table *t, const char *s);
/** Append an empty cell (printed as nothing). */
void ictl_table_blank(struct ictl_table *t);
void ictl_table_cellf(struct ictl_table *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/**
 * Print the rows with columns padded to their widest cell, then free the
 * table. With max (columns) > 0, optional columns are left out and the wrap
 * column wrapped until a line fits max, if it can; 0: no limit.
 */
void ictl_table_print(struct ictl_table *t, FILE *f, size_t max);
/** The width tables get: ICTL_WIDTH, or 0 (no limit) with --wide. */
static inline size_t ictl_width(const struct ictl_opts *o)
{
	return o->wide ? 0 : ICTL_WIDTH;
}

/* ---- commands: each returns an exit status ---- */

int ictl_show_status(struct json_object *reply, const struct ictl_opts *o);
int ictl_show_peers(struct json_object *reply, const struct ictl_opts *o);
int ictl_show_routes(struct json_object *reply, const struct ictl_opts *o);
int ictl_show_nodes(struct json_object *reply, const struct ictl_opts *o);
int ictl_show_metrics(struct json_object *reply, const struct ictl_opts *o);
int ictl_mesh_health(struct json_object *reply, const struct ictl_opts *o);
int ictl_mesh_traceroute(struct json_object *reply, const struct ictl_opts *o);
int ictl_mesh_graph(struct json_object *reply, const struct ictl_opts *o);

/* ---- help ---- */

/** The whole manual (invpnctl --help). */
void ictl_help_main(FILE *f);
/** One command's help with its JSON keys; false if the command is unknown. */
bool ictl_help_command(FILE *f, const char *name);
