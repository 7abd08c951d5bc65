/*
 * test_student_id.c - national student numbers: the MOD 11-2 check digit
 * (with the standard's own example, whose check character is X), and the
 * forms for students without an ID card.
 */
#include <string.h>

#include "rcl_test.h"
#include "student_id.h"

static int check(const char *id)
{
    char why[128];
    return rcl_student_id_check(id, strlen(id), why, sizeof(why));
}

static void test_check_char(void)
{
    /* GB 11643-1999's example ID number 11010519491231002X. */
    CHECK(rcl_student_id_check_char("11010519491231002") == 'X');
    CHECK(rcl_student_id_check_char("44052418800101001") == '4');
    CHECK(rcl_student_id_check_char("41132820090315123") == '7');
    CHECK(rcl_student_id_check_char("4113282009031512a") == 0);
}

static void test_valid_g(void)
{
    CHECK(check("G11010519491231002X") == 0);
    CHECK(check("G41138120100101001X") == 0);
    CHECK(check("G440524188001010014") == 0);
    CHECK(check("G411328200903151237") == 0);
}

static void test_bad_g(void)
{
    char why[128];
    CHECK(rcl_student_id_check("G411328200903151238", 19, why, sizeof(why)) == -1);
    CHECK_STR(why, "check digit is '8', expected '7'");
    CHECK(check("G11010519491231002x") == -1); /* lower-case x is not the check character */
    CHECK(check("G11010519491231002A") == -1);
    CHECK(check("G1101051949123100X2") == -1); /* X only in the last place */
    CHECK(check("G41132820090315A237") == -1);
    CHECK(rcl_student_id_check("G4113282009031 1237", 19, why, sizeof(why)) == -1);
    CHECK(strstr(why, "character 15 must be a digit") != NULL);
}

static void test_j_and_l(void)
{
    CHECK(check("J0000000000000000AB") == 0);
    CHECK(check("L41132820090315ZZZ9") == 0);
    CHECK(check("J0000000000000000ab") == -1);
    CHECK(check("L00000000000000000-") == -1);
}

static void test_form(void)
{
    char why[128];
    CHECK(check("") == -1);
    CHECK(check("G41132820090315123") == -1);   /* 18 characters */
    CHECK(check("G4113282009031512377") == -1); /* 20 */
    CHECK(check("411328200903151237") == -1);   /* no prefix */
    CHECK(rcl_student_id_check("X411328200903151237", 19, why, sizeof(why)) == -1);
    CHECK_STR(why, "must start with G, J or L");
    CHECK(rcl_student_id_check("G41132820090315123", 18, why, sizeof(why)) == -1);
    CHECK_STR(why, "must be 19 characters (G, J or L and 18 more), found 18");
    /* Not NUL-terminated at 19: only len bytes are looked at. */
    CHECK(rcl_student_id_check("G411328200903151237trailing", 19, why, sizeof(why)) == 0);
}

int main(void)
{
    RCL_TEST_RUN(test_check_char);
    RCL_TEST_RUN(test_valid_g);
    RCL_TEST_RUN(test_bad_g);
    RCL_TEST_RUN(test_j_and_l);
    RCL_TEST_RUN(test_form);
    return RCL_TEST_RESULT();
}
