"""How long one tool call may run: the clients' limits decide it, and the call slots outlive it."""

# Claude gives a tool call 300 s; ending a little earlier lets us say why instead of vanishing.
TOOL_DEADLINE = 280.0
# After the deadline a stream gets this long to end itself, with the text it has so far.
DEADLINE_GRACE = 5.0
