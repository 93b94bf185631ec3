import sys

from .kernel import zygote_main

zygote_main(sys.argv[1:])
