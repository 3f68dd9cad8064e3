/*
 * Fuzz the configuration parser: the input is an INI file. Parsing either
 * succeeds with the struct within its bounds, or fails with a one-line
 * "ORIGIN:LINE: ..." message. config_init/config_fini around each run, so
 * LeakSanitizer sees anything the parser loses.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"

#define ORIGIN "fuzz.conf"

static void fail(const char *what, const char *err)
{
	fprintf(stderr, "fuzz_config: %s: \"%s\"\n", what, err);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	char err[CONFIG_ERR_SIZE];
	int r;

	config_init(&c);
	err[0] = '\0';
	r = config_parse_text(&c, (const char *)data, size, ORIGIN, err, sizeof(err));
	if (r == 0) {
		if (c.n_init > CONFIG_MAX_LIST || c.n_srv > CONFIG_MAX_LIST)
			fail("list longer than CONFIG_MAX_LIST", "");
		for (size_t i = 0; i < c.n_init; i++) {
			const char *h = c.init[i].host;

			if (!h[0] || !memchr(h, '\0', sizeof(c.init[i].host)))
				fail("bad init host", c.init[i].host);
		}
		if (c.port == 0 || c.mtu < 68 || c.max_links == 0)
			fail("value out of range", "");
	} else {
		size_t n = strlen(ORIGIN);

		if (r != -EINVAL)
			fail("unexpected error code", err);
		/* "fuzz.conf:LINE: why" */
		if (strncmp(err, ORIGIN ":", n + 1) || !isdigit((unsigned char)err[n + 1]) ||
		    !strstr(err, ": ") || strchr(err, '\n'))
			fail("malformed message", err);
	}
	err[0] = '\0';
	if (config_validate(&c, err, sizeof(err)) < 0 && !err[0])
		fail("config_validate failed without a message", err);
	config_fini(&c);
	return 0;
}
