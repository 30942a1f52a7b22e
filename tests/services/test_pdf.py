"""WeasyPrint renders Chinese with an embedded CJK font; the text comes back out of the PDF."""

import io

from flask import render_template_string
from pypdf import PdfReader

from pwposts.documents.pdf import check_cjk_font


def test_chinese_pdf_text_extracts(app):
    from weasyprint import HTML

    assert check_cjk_font(), "no Chinese font installed: run .ci/setup (installs fonts-wqy-microhei)"
    html = render_template_string(
        '{% extends "pdf/_base.html" %}{% block body %}<h1>乡村公益性岗位劳务协议</h1>'
        "<p>甲方：东坪镇人民政府　乙方：王秀英　补贴：600.00 元/月</p>{% endblock %}"
    )
    pdf = HTML(string=html).write_pdf()
    reader = PdfReader(io.BytesIO(pdf))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "乡村公益性岗位劳务协议" in text.replace(" ", "")
    assert "王秀英" in text
    fonts = {str(f) for page in reader.pages for f in (page["/Resources"].get("/Font") or {}).values()}
    assert fonts, "the PDF embeds no font"
