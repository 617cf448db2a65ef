"""The research-agenda domain: dialogues, cruxes, credences, projects, predictions, outcomes.

Every public function takes a ``db.Store`` (from ``cruxes.workspace.open_store``)
and returns pydantic models from ``cruxes.models``. Errors a person can cause
are ``cruxes.errors.CruxlabError`` subclasses with a one-sentence message.
"""
