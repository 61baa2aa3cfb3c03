// Anchors the KilnConversion library; the passes live in subfolders.
