"""The journal (JR-1..JR-3): encrypted notes, consent to read earlier therapists' notes, and the
hash-chained audit log of every read and write of notes and client cards."""
