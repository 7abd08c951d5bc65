#!/usr/bin/env python3
"""make_deflate_dict - how proto/wire/rcl_deflate_dict.c (dictionary version 1) was made.

The preset dictionary of compressed batches is part of the wire format: it is
frozen, and this script is kept to show what it holds, not to be run again on
a released version. It holds, last the most likely (DEFLATE's nearer matches
cost fewer bits): common surnames and given-name characters, class names,
then the column form (proto/wire/rcl_columns.h) of a batch of made-up students
built of those names, as the school's codec encodes them, without their
pseudonyms (which never repeat).

  python3 tests/tools/make_deflate_dict.py BIN_DIR > proto/wire/rcl_deflate_dict.c
"""

import os
import random
import sqlite3
import subprocess
import sys
import tempfile

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
            "于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江"
            "尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常葛牛")
GIVEN = ("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国文辉鑫宇浩轩子涵欣怡梓萱"
         "诗雨晨佳琪思博俊一诺睿泽嘉瑞然逸妍雅婷晓红玉梅凤丹玲萍燕云飞鹏志海峰亮林斌波天"
         "昊阳宁成龙家乐悦心桐紫若汐可馨语嫣依墨航皓哲凯旭东翔豪彤曦梦瑶雪琳颖慧珊倩蕾茹")
NETWORKS = ("broadband", "mobile", "cable_tv")
DEVICES = ("computer", "tablet", "smartphone", "tv")
GROUPS = ("poverty_card", "left_behind", "migrant", "hardship", "disabled")


def check_digit(body17):
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(c) * w for c, w in zip(body17, weights)) % 11]


def subset(rng, words, p):
    return ";".join(w for w in words if rng.random() < p)


def sample_csv(path, count):
    rng = random.Random(1)
    with open(path, "w", encoding="utf-8") as f:
        f.write("student_id,name,grade,class,network,devices,groups,assistance,participation\n")
        for i in range(count):
            body = "410102%04d%02d%02d%03d" % (2008 + i % 10, 1 + i % 12, 1 + i % 28, i)
            name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN)
                                                  for _ in range(rng.choice((1, 2, 2))))
            grade = 1 + i % 12
            klass = "%d班" % rng.randint(1, 6) if i % 3 else "%d-%d" % (grade, rng.randint(1, 6))
            f.write("G%s%s,%s,%d,%s,%s,%s,%s,,\n" % (
                body, check_digit(body), name, grade, klass, subset(rng, NETWORKS, 0.5),
                subset(rng, DEVICES, 0.4), subset(rng, GROUPS, 0.1)))


def varint(n):
    out = b""
    while n >= 0x80:
        out += bytes([(n & 0x7F) | 0x80])
        n >>= 7
    return out + bytes([n])


def read_varint(b, i):
    v = shift = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return v, i


def fields(b):
    """(tag, value) of an encoded message: a varint's bytes, or a byte string's content."""
    i, out = 0, []
    while i < len(b):
        tag, i = read_varint(b, i)
        if tag & 7 == 0:
            _, j = read_varint(b, i)
            out.append((tag, b[i:j]))
            i = j
        else:  # 2: the only other wire type a student change has
            n, i = read_varint(b, i)
            out.append((tag, b[i:i + n]))
            i += n
    return out


def column_form(changes):
    """The compressed part of a batch's column form (proto/wire/rcl_columns.h), pseudonyms left out."""
    columns, order, shape, prev = {}, [], b"", 0
    for change in changes:
        seq, (body_tag, body) = read_varint(change, 1)[0], fields(change)[1]
        shape += varint(seq - prev) + varint(body_tag)
        prev = seq
        sub = fields(body)
        shape += varint(len(sub))
        for tag, value in sub:
            shape += varint(tag)
            if (body_tag, tag) not in columns:
                columns[(body_tag, tag)] = [b"", b""]
                order.append((body_tag, tag))
            meta_bytes = columns[(body_tag, tag)]
            if tag & 7 == 2:
                meta_bytes[0] += varint(len(value))
                meta_bytes[1] += value
            else:
                meta_bytes[0] += value
    header = (b"\x0a\x0a4101020001\x10\x01\x18\x01\x20" + varint(len(changes)) +
              b"\x30\x80\xa0\xb0\xb0\x06")
    out = varint(len(header)) + header + varint(len(changes)) + shape
    for key in order:
        meta, data = columns[key]
        out += varint(len(meta)) + meta
        if key[1] & 7 == 2 and key[1] != 0x0A:
            out += varint(len(data)) + data
    return out


def student_changes(bin_dir, count):
    with tempfile.TemporaryDirectory() as d:
        env = dict(os.environ, ROLLCALL_LOG="error")
        run = lambda *a: subprocess.run(a, check=True, env=env, capture_output=True, text=True)
        agg, school, csv = (os.path.join(d, n) for n in ("a.db", "s.db", "s.csv"))
        run(os.path.join(bin_dir, "rollcall-agg"), "init", "--db", agg, "--id", "410102",
            "--tier", "county", "--listen", "tcp://127.0.0.1:1")
        key = run(os.path.join(bin_dir, "rollcall-agg"), "pubkey", "--db", agg).stdout.strip()
        run(os.path.join(bin_dir, "rollcall-school"), "init", "--db", school, "--school",
            "4101020001", "--county", "410102", "--name", "x", "--upstream",
            "tcp://127.0.0.1:1", "--upstream-key", key)
        sample_csv(csv, count)
        run(os.path.join(bin_dir, "rollcall-school"), "import", "--db", school, csv)
        db = sqlite3.connect(school)
        bodies = [r[0] for r in db.execute(
            "SELECT body FROM outbox WHERE entity LIKE 'student:%' ORDER BY seq")]
        db.close()
    return bodies


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_deflate_dict.py BIN_DIR")
    classes = "".join("%d班" % n for n in range(12, 0, -1))
    d = (GIVEN[::-1] + SURNAMES[::-1] + classes).encode() + column_form(
        student_changes(sys.argv[1], 200))
    print("/*\n * rcl_deflate_dict.c - the preset dictionary of compressed batches, version 1"
          " (%d bytes).\n * Frozen: see rcl_deflate.h. Made by tests/tools/make_deflate_dict.py"
          "\n * (common names, class names, then the column form of a batch of made-up"
          "\n * students, without their pseudonyms).\n */" % len(d))
    print('#include "rcl_deflate.h"\n')
    print("/* Twelve bytes a line, as make_deflate_dict.py writes them. */\n/* clang-format off */")
    print("const uint8_t rcl_deflate_dict[] = {")
    for i in range(0, len(d), 12):
        print("    " + " ".join("0x%02x," % b for b in d[i:i + 12]))
    print("};\n/* clang-format on */\n\nconst size_t rcl_deflate_dict_len = sizeof(rcl_deflate_dict);")


if __name__ == "__main__":
    main()
