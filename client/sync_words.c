/*
 * sync_words.c - what a sync came to, in words, for the page and for the
 * command line in Chinese (see sync.h).
 */
#include "sync.h"

#include <string.h>

#define L(zh, en) (lang == RCL_SHEET_ZH ? (zh) : (en))

const char *rcl_school_sync_county(const char *upstream)
{
    const char *sep = strstr(upstream, "://");

    return sep != NULL ? sep + 3 : upstream;
}

void rcl_school_sync_say(const struct rcl_school_sync_outcome *o, const char *upstream,
                         enum rcl_sheet_lang lang, const char *again, char *title, size_t titlelen,
                         char *detail, size_t detaillen)
{
    const char *county = rcl_school_sync_county(upstream);
    unsigned long long kept = (unsigned long long)o->pending_after;

    snprintf(detail, detaillen, "%s", "");
    if (o->rc == RCL_SCHOOL_EXIT_OK && o->pending_before == 0 && o->late) {
        /* Nothing was pending and the receipt's probe went unanswered. */
        snprintf(title, titlelen,
                 L("没有需要上报的改动；但县里（%s）没有应答，上报情况没有更新。",
                   "Nothing to send; but the county (%s) did not answer, so the receipt is not "
                   "refreshed."),
                 county);
    } else if (o->rc == RCL_SCHOOL_EXIT_OK && o->pending_before == 0 && !o->resent) {
        snprintf(title, titlelen, "%s",
                 L("没有需要上报的改动：县里已确认收到全部改动。",
                   "Nothing to send: the county has acknowledged every change."));
        snprintf(
            detail, detaillen,
            L("县里已确认到第 %llu 项改动。", "The county has acknowledged through change %llu."),
            (unsigned long long)o->acked_after);
    } else if (o->rc == RCL_SCHOOL_EXIT_OK) {
        snprintf(title, titlelen, "%s",
                 L("同步完成：县里已确认收到全部改动。",
                   "Synced: the county acknowledged every change."));
        snprintf(detail, detaillen,
                 L("同步前待上报 %llu 项改动；县里已确认到第 %llu 项。%s",
                   "%llu changes were waiting; the county has acknowledged through change "
                   "%llu.%s"),
                 (unsigned long long)o->pending_before, (unsigned long long)o->acked_after,
                 !o->resent ? ""
                            : L("县里丢失过本校的数据，这次已全部重新发送。",
                                " The county had lost this school's data; it was sent again in "
                                "full."));
    } else if (o->rc == RCL_SCHOOL_EXIT_UPSTREAM && o->stage.refused) {
        snprintf(title, titlelen,
                 L("没有同步成功：县里（%s）拒绝接收本校的数据（本校可能还没有在县里登记，或已被"
                   "撤销，请联系县里）。改动都保留在本机，共 %llu 项待上报。",
                   "Not synced: the county (%s) refused this school's data (not enrolled there, "
                   "or revoked: ask the county). The changes are kept here, %llu waiting."),
                 county, kept);
    } else if (o->rc == RCL_SCHOOL_EXIT_UPSTREAM && o->stopped) {
        snprintf(title, titlelen,
                 L("同步已中断。改动都保留在本机，共 %llu 项待上报；%s",
                   "Sync interrupted. The changes are kept here, %llu waiting; %s"),
                 kept, again);
    } else if (o->rc == RCL_SCHOOL_EXIT_UPSTREAM && !o->stage.linked_once) {
        snprintf(title, titlelen,
                 L("没有同步成功：连不上县里（%s）。改动都保留在本机，共 %llu 项待上报；%s",
                   "Not synced: the county (%s) cannot be reached. The changes are kept here, "
                   "%llu waiting; %s"),
                 county, kept, again);
    } else if (o->rc == RCL_SCHOOL_EXIT_UPSTREAM) {
        snprintf(title, titlelen,
                 L("没有同步成功：县里（%s）在 %d 秒内没有确认收到。改动都保留在本机，共 %llu "
                   "项待上报；%s",
                   "Not synced: the county (%s) did not acknowledge within %d seconds. The "
                   "changes are kept here, %llu waiting; %s"),
                 county, o->timeout_s, kept, again);
    } else {
        snprintf(title, titlelen, "%s",
                 L("同步出错，改动保留在本机。", "Sync failed; the changes are kept here."));
    }
}
