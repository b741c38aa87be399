// espeak-ng (speech), libopus (compression) and libogg (framing), for the `Speech` target only.
#include <espeak-ng/speak_lib.h>
#include <opus/opus.h>
#include <ogg/ogg.h>
#include <stddef.h>
#include <stdint.h>

/// Initialises espeak-ng for synchronous synthesis into memory. Returns the sample rate (Hz) or a negative value.
/// Not thread-safe (espeak-ng is not): the caller serialises every loket_espeak_* call.
int loket_espeak_init(void);

/// Speaks `text` (UTF-8) with voice `voice` at `rate` words per minute into a malloc'ed buffer of 16-bit mono
/// samples (*samples, *count); the caller frees it. Returns 0, or an espeak_ERROR / -1 (out of memory).
int loket_espeak_speak(const char *voice, const char *text, int rate, int16_t **samples, size_t *count);

/// The espeak-ng version string (part of the cache key: another version may sound different).
const char *loket_espeak_version(void);

/// opus_encoder_ctl is variadic, which Swift cannot call.
int loket_opus_set_bitrate(OpusEncoder *encoder, int32_t bitsPerSecond);
int loket_opus_set_signal_voice(OpusEncoder *encoder);
int loket_opus_lookahead(OpusEncoder *encoder, int32_t *samples);
