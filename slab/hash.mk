# slab/hash: the lock-striped hash table and its unit tests.
SLAB_SRC += slab/hash.c slab/hash.h
