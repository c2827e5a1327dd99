"""The call centre's incoming-call intake (来电受理): scripts, guidance notes, the caller's history."""
