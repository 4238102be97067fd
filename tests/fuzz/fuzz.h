/* fuzz.h: the libFuzzer entry point every tests/fuzz/fuzz-X.c defines. The same
 * file links either with libFuzzer (--enable-fuzzing) or with replay-main.c,
 * which feeds it the saved corpus in make check. */
#ifndef GNUT_FUZZ_H
#define GNUT_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
