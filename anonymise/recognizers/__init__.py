"""One Presidio recognizer per module; ``conf/engine.yaml`` lists which are used."""
