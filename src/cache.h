/*
 * The peer cache: node addresses kept across restarts. A text file, one
 * address per line, written atomically (temporary file + rename).
 *
 *   # invpn peer cache v1
 *   MAC ADDRESS PORT SOURCE LAST_SUCCESS_MS
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "nodes.h"

#define CACHE_HEADER "# invpn peer cache v1"
#define CACHE_MAX_ENTRIES 256

/** Write the directory's addresses with a known MAC (the most useful first). 0 or -errno. */
int cache_save(const struct nodes *n, const char *path);
/**
 * Load a cache file into the directory as NODE_SRC_CACHE entries. Lines that
 * do not parse are skipped with a warning; a file without the header is
 * ignored. Returns the number of entries, or -errno (-ENOENT: no cache yet).
 */
int cache_load(struct nodes *n, const char *path, uint64_t now_wall_ms);
/** Parse one line into mac/sockaddr/source/last success; 0 or -EINVAL. */
int cache_parse_line(const char *line, uint8_t mac[MAC_LEN], struct sockaddr_storage *ss,
		     socklen_t *sslen, int *source, uint64_t *last_success_ms);
