"""The tests' own count of a reuse rate's components, apart from
repository.indicators, to check the dashboard against."""


def own_components(root, attached):
    """(reused, all) components over every dossier, from the catalogue and
    from what the world and the test attached ([(dossier code, component
    key, reused)]): a dossier's components are its procedure's required ones
    and the ones a paper was attached to; those a reused paper went to are
    satisfied from the warehouse."""
    reused = total = 0
    for code, dossier in root.dossiers.items():
        procedure = root.catalogues.procedures[dossier.procedure_code]
        keys = {c.key for c in procedure.components if c.required} | {k for c, k, _ in attached if c == code}
        total += len(keys)
        reused += len({k for c, k, was_reused in attached if c == code and was_reused})
    return reused, total
