"""The problem-area catalogue and the contact-reason tree (invented, plausible), loaded by migration."""

PROBLEM_AREAS = [
    ("anxiety", "Ångest och oro", "Anxiety and worry"), ("depression", "Nedstämdhet och depression", "Low mood and depression"),
    ("stress", "Stress och utmattning", "Stress and exhaustion"), ("sleep", "Sömnproblem", "Sleep problems"),
    ("relationships", "Relationer", "Relationships"), ("grief", "Sorg och förlust", "Grief and loss"),
    ("trauma", "Trauma", "Trauma"), ("self_esteem", "Självkänsla", "Self-esteem"),
    ("eating", "Ätproblem", "Eating problems"), ("addiction", "Beroende", "Addiction"),
    ("work", "Arbete och studier", "Work and studies"), ("parenting", "Föräldraskap", "Parenting"),
]

CONTACT_REASONS = [
    # code, parent, Swedish, English
    ("life_event", None, "Livshändelse", "A life event"),
    ("life_event.separation", "life_event", "Separation", "Separation"),
    ("life_event.bereavement", "life_event", "Dödsfall", "Bereavement"),
    ("life_event.job_loss", "life_event", "Förlorat arbete", "Losing a job"),
    ("feelings", None, "Känslor och mående", "Feelings and well-being"),
    ("feelings.panic", "feelings", "Panikattacker", "Panic attacks"),
    ("feelings.low", "feelings", "Långvarig nedstämdhet", "Long-lasting low mood"),
    ("relations", None, "Relationer", "Relationships"),
    ("relations.couple", "relations", "Parrelation", "Couple"),
    ("relations.family", "relations", "Familj", "Family"),
    ("work", None, "Arbete", "Work"),
    ("work.burnout", "work", "Utbrändhet", "Burn-out"),
]
