from linkindex.cli import main

main()
