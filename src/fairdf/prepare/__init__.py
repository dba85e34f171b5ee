"""Dataset preparation: from raw videos to the five manifests (docs/formats.md, Manifests).

Each step reads and writes files a person can open, so each can be rerun alone:

    videos --frames-->  FRAMES/<video>/<0000>.png + frames.csv        (frames.py)
           --faces--->  FACES/<video>/<0000>.png + .csv sidecars
                        + faces.csv, skipped.csv                      (faces.py, crops.py)
    attribute tables --annotations--> annotations.csv                 (annotations.py)
    faces.csv (+ annotations.csv) --split--> split.csv                (identities.py, split.py)
    split.csv + annotations.csv --manifest--> faketrain/realtrain/fakeval/realval/test.csv
                                              + methods.json          (manifests.py)

Paths inside every CSV are relative to that CSV's folder. Heavy libraries (OpenCV,
dlib) are imported where they are used.
"""
