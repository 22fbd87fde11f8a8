# -*- coding: utf-8 -*-
import codecs


def read_lines(path):
    try:
        with codecs.open(path, "r", "utf-8") as f:
            return [line.strip() for line in f if line.strip()]
    except IOError, e:
        print "cannot read %s: %s" % (path, e)
        raise


def batches(items, size):
    for i in xrange(0, len(items), size):
        yield items[i:i + size]
