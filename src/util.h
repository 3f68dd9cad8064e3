/* Small helpers for every module. */
#pragma once

#include <stddef.h>

/*
 * The struct holding *ptr as its member: callbacks are given the member (a
 * timer, an io watch) and need the object around it. The unevaluated
 * conditional makes the compiler check that ptr points to the member's type.
 */
#define container_of(ptr, type, member) \
	((type *)((char *)(1 ? (ptr) : &((type *)0)->member) - offsetof(type, member)))
