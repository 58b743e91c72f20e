"""(being written)"""


def includeme(config):
    pass
