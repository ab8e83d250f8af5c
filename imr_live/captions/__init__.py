"""Live captions: speech engines behind one interface, and the captioner that turns a
captioned room's decoded audio (the SFU's tap, sfu/captions.py) into text."""
