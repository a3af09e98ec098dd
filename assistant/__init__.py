"""Local, cited question answering over news articles.

    from assistant import Assistant
    a = Assistant.from_settings()
    r = a.ask("Who was accused of leaking the letter?")
"""

from .errors import AssistantError
from .schemas import AskResult, Citation, Filters, ResultEvent, TokenEvent, Turn
from .service import Assistant, Conversation
from .settings import Settings

__all__ = ["Assistant", "AskResult", "AssistantError", "Citation", "Conversation", "Filters", "ResultEvent", "Settings", "TokenEvent", "Turn"]
