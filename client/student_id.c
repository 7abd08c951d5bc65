/*
 * student_id.c - validating national student numbers (see student_id.h).
 */
#include "student_id.h"

#include <stdio.h>

#include "rcl_model.h"

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_upper_alnum(char c)
{
    return is_digit(c) || (c >= 'A' && c <= 'Z');
}

char rcl_student_id_check_char(const char *digits17)
{
    /* GB 11643-1999: weight of position i is 2^(17-i) mod 11. */
    static const int weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    static const char check[] = "10X98765432";
    int sum = 0;

    for (int i = 0; i < 17; i++) {
        if (!is_digit(digits17[i]))
            return 0;
        sum += (digits17[i] - '0') * weights[i];
    }
    return check[sum % 11];
}

int rcl_student_id_check(const char *id, size_t len, char *why, size_t whylen)
{
    return rcl_student_id_check_in(id, len, false, why, whylen);
}

#define W(en, zh) (zh_words ? (zh) : (en))

int rcl_student_id_check_in(const char *id, size_t len, bool zh_words, char *why, size_t whylen)
{
    if (whylen > 0)
        why[0] = '\0';
    if (len != RCL_STUDENT_ID_LEN) {
        snprintf(why, whylen,
                 W("must be %d characters (G, J or L and 18 more), found %zu",
                   "应为 %d 位（G、J 或 L 加 18 位），实际 %zu 位"),
                 RCL_STUDENT_ID_LEN, len);
        return -1;
    }
    if (id[0] == 'G') {
        for (int i = 1; i < 18; i++) {
            if (!is_digit(id[i])) {
                snprintf(why, whylen,
                         W("character %d must be a digit (G and an 18-character ID number)",
                           "第 %d 位应是数字（G 加 18 位身份证号）"),
                         i + 1);
                return -1;
            }
        }
        char want = rcl_student_id_check_char(id + 1);
        if (id[18] != want) {
            if (id[18] == 'x')
                snprintf(why, whylen, W("check digit must be upper-case 'X'", "校验位应为大写“X”"));
            else
                snprintf(why, whylen,
                         W("check digit is '%c', expected '%c'", "校验位是“%c”，应为“%c”"),
                         (id[18] > 0x20 && id[18] < 0x7f) ? id[18] : '?', want);
            return -1;
        }
        return 0;
    }
    if (id[0] == 'J' || id[0] == 'L') {
        for (int i = 1; i < RCL_STUDENT_ID_LEN; i++) {
            if (!is_upper_alnum(id[i])) {
                snprintf(why, whylen,
                         W("character %d must be a digit or an upper-case letter A-Z",
                           "第 %d 位应是数字或大写字母 A-Z"),
                         i + 1);
                return -1;
            }
        }
        return 0;
    }
    snprintf(why, whylen, W("must start with G, J or L", "应以 G、J 或 L 开头"));
    return -1;
}
