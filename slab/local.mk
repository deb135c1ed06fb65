# slab/: the storage engine (everything but the hash table, see hash.mk).
SLAB_SRC += slab/cache.h
