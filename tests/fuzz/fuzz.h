/* The libFuzzer entry point, implemented by each fuzz_*.c harness. */
#pragma once

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
