/*
 * Fuzz the control socket's request parser (src/ctl_proto.c): the input is
 * one request line as a client sends it, JSON or plain words. A request is
 * either refused with a reason, or parsed into a command with a wait in
 * range and a target only for traceroute; a parsed request formats into a
 * line that parses back to the same request.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_proto.h"
#include "fuzz.h"

static void fail(const char *why, const char *line)
{
	fprintf(stderr, "fuzz_ctl: %s (%s)\n", why, line ? line : "");
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_request req, again;
	const char *why = NULL;
	char buf[CTL_MAX_REQUEST];
	int r, n;

	r = ctl_parse_request((const char *)data, size, &req, &why);
	if (r < 0) {
		if ((r != -EINVAL && r != -ENOMEM) || !why || !why[0])
			fail("refused without a reason", NULL);
		return 0;
	}
	if (r != 0)
		fail("unexpected return", NULL);
	if ((unsigned)req.command >= CTL_COMMAND_COUNT)
		fail("command out of range", NULL);
	if (req.wait_ms < 1 || req.wait_ms > CTL_MAX_WAIT_MS)
		fail("wait out of range", NULL);
	if (req.has_target != (req.command == CTL_TRACEROUTE))
		fail("target on the wrong command", NULL);
	n = ctl_format_request(&req, buf, sizeof(buf));
	if (n <= 0 || buf[n - 1] != '\n')
		fail("request does not format", NULL);
	why = NULL;
	if (ctl_parse_request(buf, (size_t)n - 1, &again, &why) < 0)
		fail(why ? why : "formatted request does not parse", buf);
	if (again.command != req.command || again.wait_ms != req.wait_ms ||
	    again.has_target != req.has_target ||
	    (req.has_target && memcmp(again.target, req.target, MAC_LEN)))
		fail("request does not round-trip", buf);
	return 0;
}
