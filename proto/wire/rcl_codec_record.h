/*
 * rcl_codec_record.h - the school's records on the wire (proto-internal,
 * part of the codec): students, tombstones and school profiles converted
 * from and to the generated structs, every field checked on the way in.
 *
 * The *_from_wire functions return 0, or -1 with a reason naming the field
 * in err. The *_to_wire functions point the generated struct into src and
 * into the caller's scratch (struct codec_record_scratch), which must
 * outlive the packing; src must stay unchanged meanwhile.
 */
#ifndef RCL_CODEC_RECORD_H
#define RCL_CODEC_RECORD_H

#include <stddef.h>

#include "rcl_codec.h"
#include "rollcall.pb-c.h"

struct codec_record_scratch {
    Rollcall__Measure measures[RCL_MEASURES_MAX];
    Rollcall__Measure *measure_ptrs[RCL_MEASURES_MAX];
    Rollcall__Platform platforms[RCL_PLATFORMS_MAX];
    Rollcall__Platform *platform_ptrs[RCL_PLATFORMS_MAX];
};

int codec_student_from_wire(const Rollcall__Student *w, struct rcl_student *s, char *err,
                            size_t errlen);
void codec_student_to_wire(struct rcl_student *s, Rollcall__Student *w,
                           struct codec_record_scratch *scratch);

int codec_removed_from_wire(const Rollcall__StudentRemoved *w, struct rcl_departure *d, char *err,
                            size_t errlen);
void codec_removed_to_wire(struct rcl_departure *d, Rollcall__StudentRemoved *w);

int codec_profile_from_wire(const Rollcall__SchoolProfile *w, struct rcl_school_profile *p,
                            char *err, size_t errlen);
void codec_profile_to_wire(struct rcl_school_profile *p, Rollcall__SchoolProfile *w,
                           struct codec_record_scratch *scratch);

#endif
