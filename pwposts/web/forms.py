"""Form base shared by every blueprint."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms.meta import DefaultMeta


class ChineseForm(FlaskForm):
    """WTForms' own messages (不是有效的整数 …) in Chinese, without Flask-Babel."""

    class Meta:
        locales = ("zh",)

        def get_translations(self, form):
            return DefaultMeta.get_translations(self, form)
