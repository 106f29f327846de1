"""A tagged PDF on fpdf2's low-level API: headings, paragraphs and tables in the structure tree.

fpdf2 2.8 tags only images with alternative text (``/Figure``) and outline titles, all as flat
children of ``/Document``, and it has no tagged tables. ``TagTree`` replaces its structure tree
builder (``FPDF.struct_builder``) with one that nests: container elements (``/Table``, ``/TR``,
``/TOC``) and leaf elements whose content is wrapped in marked content (``/H1 <</MCID n>> BDC …
EMC``), one MCID sequence per page, with the page's entry in the ``/ParentTree``. Content that is
no part of the text (running header, page numbers, table rules) is an ``/Artifact``.

Elements remember their page object, not its number: fpdf2 renumbers pages when a table of
contents needs more pages than reserved, and the ``/Pg`` of every element must follow.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from fpdf import FPDF
from fpdf.errors import FPDFException
from fpdf.output import PDFPage
from fpdf.structure_tree import StructElem, StructureTreeBuilder
from fpdf.syntax import PDFObject

if TYPE_CHECKING:
    from fpdf.encryption import StandardSecurityHandler

# A header cell's attributes: it heads its column (PDF 1.7, 14.8.5.7 "Table Attributes").
COLUMN_HEADER = "<</O /Table /Scope /Column>>"


class TagElem(StructElem):
    """A structure element that knows its page object and may carry attributes (``/A``)."""

    __slots__ = ("_page", "a")

    def __init__(self, struct_type: str, parent: PDFObject, page: PDFPage, *, title: str | None = None,
                 alt: str | None = None, attributes: str | None = None) -> None:
        super().__init__(struct_type=struct_type, parent=parent, kids=[], title=title, alt=alt)
        self._page = page
        self.a = attributes

    def page_number(self) -> int:
        return self._page.index()

    def serialize(self, obj_dict: dict[str, object] | None = None,
                  _security_handler: StandardSecurityHandler | None = None) -> str:
        """Written directly: fpdf2's generic serializer (attributes by introspection) was most of the time
        for a nationwide report's ~15,000 elements."""
        if obj_dict is not None or _security_handler is not None or self.t is not None or self.alt is not None:
            return super().serialize(obj_dict, _security_handler)
        kids = " ".join(str(kid) if isinstance(kid, int) else kid.ref for kid in self.k)
        entries = f"/Type /StructElem /S {self.s} /P {self.p.ref} /K [{kids}]"
        if self.pg is not None:
            entries += f" /Pg {self.pg.ref}"
        if self.a is not None:
            entries += f" /A {self.a}"
        return f"{self.id} 0 obj\n<<{entries}>>\nendobj"


class TagTree(StructureTreeBuilder):
    """The document's structure tree; ``group`` nests, ``marked`` tags content, ``artifact`` excludes it."""

    ARTIFACT = "/Artifact BMC"

    def __init__(self, doc: FPDF) -> None:
        super().__init__()
        self._doc = doc
        self._open: list[StructElem] = [self.doc_struct_elem]
        self._elements: list[TagElem] = []
        self._parents_key: dict[int, int] = {}  # id(page) -> its /StructParents key in the /ParentTree
        self._next_mcid: dict[int, int] = {}  # id(page) -> the next marked-content id on it

    # fpdf2's own calls (images with alternative text, outline titles):
    def add_marked_content(self, page_number: int, struct_type: str, mcid: int | None = None,
                           title: str | None = None, alt_text: str | None = None) -> tuple[StructElem, int]:
        page = self._doc.pages[page_number]
        element = self._element(struct_type, page, title=title, alt=alt_text)
        if mcid is not None:
            self._claim(page, element, mcid)
        return element, self._key(page)

    def next_mcid_for_page(self, page_number: int) -> int:
        return self._next_mcid.get(id(self._doc.pages[page_number]), 0)

    def empty(self) -> bool:
        return not self._elements

    def __iter__(self) -> Iterator[PDFObject]:
        yield self.struct_tree_root
        yield self.doc_struct_elem
        yield self.struct_tree_root.parent_tree
        for element in self._elements:
            element.pg = element._page  # type: ignore[assignment]  # fpdf2 annotates it None, sets pages
            yield element

    # Ours:
    @contextmanager
    def group(self, struct_type: str, **kwargs: Any) -> Iterator[TagElem]:
        """A container element (``/Table``, ``/TR``, ``/TOC`` …); what is tagged inside becomes its kid."""
        with self.within(self._element(struct_type, self._page(), **kwargs)) as element:
            yield element

    @contextmanager
    def within(self, element: TagElem) -> Iterator[TagElem]:
        """Tag into an element made earlier (the table of contents, drawn last, read where it stands)."""
        self._open.append(element)
        try:
            yield element
        finally:
            self._open.pop()

    @contextmanager
    def marked(self, struct_type: str, **kwargs: Any) -> Iterator[None]:
        """Content drawn inside becomes a leaf element's marked content; it must stay on one page."""
        page = self._page()
        self._doc._out(self.begin(struct_type, **kwargs))
        yield
        if self._page() is not page:
            raise FPDFException(f"{struct_type}: Seitenumbruch innerhalb eines markierten Inhalts")
        self._doc._out("EMC")

    def begin(self, struct_type: str, **kwargs: Any) -> str:
        """The operator that opens a new leaf element's marked content on this page (close it with ``EMC``)."""
        page = self._page()
        element = self._element(struct_type, page, **kwargs)
        mcid = self._next_mcid.get(id(page), 0)
        self._claim(page, element, mcid)
        return f"{struct_type} <</MCID {mcid}>> BDC"

    @contextmanager
    def artifact(self) -> Iterator[None]:
        """Drawn content that is no part of the text (page furniture, rules)."""
        self._doc._out(self.ARTIFACT)
        yield
        self._doc._out("EMC")

    def _page(self) -> PDFPage:
        return self._doc.pages[self._doc.page]

    def _element(self, struct_type: str, page: PDFPage, **kwargs: Any) -> TagElem:
        parent = self._open[-1]
        element = TagElem(struct_type, parent, page, **kwargs)
        parent.k.append(element)
        self._elements.append(element)
        return element

    def _key(self, page: PDFPage) -> int:
        key = self._parents_key.setdefault(id(page), len(self._parents_key))
        page.struct_parents = key
        return key

    def _claim(self, page: PDFPage, element: StructElem, mcid: int) -> None:
        """The page's ``/ParentTree`` array is indexed by MCID: they are handed out in order."""
        key = self._key(page)
        slots = self.struct_tree_root.parent_tree.nums[key]
        if mcid != len(slots):
            raise FPDFException(f"MCID {mcid} außer der Reihe (erwartet {len(slots)})")
        slots.append(element)
        element.k.append(mcid)
        self._next_mcid[id(page)] = mcid + 1
        self._doc._set_min_pdf_version("1.4")  # /MarkInfo
