"""Tag history (what each tag pointed at, when, who), pull counts, restore and retag."""
