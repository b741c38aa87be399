#include "CSpeech.h"
#include <stdlib.h>
#include <string.h>

/* Where the synchronous synthesis callback appends samples: the one synthesis in progress (the caller holds the lock). */
struct loket_pcm { int16_t *data; size_t count, capacity; int failed; };
static struct loket_pcm *loket_current;

static int loket_collect(short *wav, int n, espeak_EVENT *events) {
    (void)events;
    struct loket_pcm *pcm = loket_current;
    if (!pcm || !wav || n <= 0) return 0;
    if (pcm->count + (size_t)n > pcm->capacity) {
        size_t cap = pcm->capacity ? pcm->capacity : 22050;
        while (cap < pcm->count + (size_t)n) cap *= 2;
        int16_t *grown = realloc(pcm->data, cap * sizeof(int16_t));
        if (!grown) { pcm->failed = 1; return 1; } /* 1 stops the synthesis */
        pcm->data = grown;
        pcm->capacity = cap;
    }
    memcpy(pcm->data + pcm->count, wav, (size_t)n * sizeof(int16_t));
    pcm->count += (size_t)n;
    return 0;
}

int loket_espeak_init(void) {
    int rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, NULL, 0);
    if (rate > 0) espeak_SetSynthCallback(loket_collect);
    return rate;
}

int loket_espeak_speak(const char *voice, const char *text, int rate, int16_t **samples, size_t *count) {
    *samples = NULL;
    *count = 0;
    espeak_ERROR e = espeak_SetVoiceByName(voice);
    if (e != EE_OK) return (int)e;
    espeak_SetParameter(espeakRATE, rate, 0);
    struct loket_pcm pcm = {0};
    loket_current = &pcm;
    e = espeak_Synth(text, strlen(text) + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, NULL, NULL);
    if (e == EE_OK) e = espeak_Synchronize();
    loket_current = NULL;
    if (e != EE_OK || pcm.failed) {
        free(pcm.data);
        return e != EE_OK ? (int)e : -1;
    }
    *samples = pcm.data;
    *count = pcm.count;
    return 0;
}

const char *loket_espeak_version(void) {
    const char *path = NULL;
    return espeak_Info(&path);
}

int loket_opus_set_bitrate(OpusEncoder *encoder, int32_t bitsPerSecond) {
    return opus_encoder_ctl(encoder, OPUS_SET_BITRATE(bitsPerSecond));
}

int loket_opus_set_signal_voice(OpusEncoder *encoder) {
    return opus_encoder_ctl(encoder, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
}

int loket_opus_lookahead(OpusEncoder *encoder, int32_t *samples) {
    return opus_encoder_ctl(encoder, OPUS_GET_LOOKAHEAD(samples));
}
